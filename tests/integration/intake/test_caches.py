"""What intake keeps in memory between requests never outlives the truth in the database:
a replica that has seen a key refuses it as soon as another replica rotates or revokes it,
and a checklist published through one replica judges the next lead on the other."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.intake.config import Settings

from .conftest import (
    ADMIN,
    ADMIN_TOKEN,
    PUBLIC_URL,
    client_for,
    lead_body,
    register_source,
    running_app,
)

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=DATABASES)
def shared_settings(request: pytest.FixtureRequest, tmp_path: Path, unique_name: str) -> Settings:
    """Settings for two replicas of intake on one database and one bus."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    if request.param == "postgres":
        server: Any = request.getfixturevalue("postgres_server")
        database_url = server.create_database(unique_name)
    return Settings(
        database_url=database_url,
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )


@pytest.fixture
async def two_replicas(
    shared_settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Clients (no credential of their own) of two started intake apps on one database."""
    async with (
        running_app(shared_settings) as first,
        running_app(shared_settings) as second,
        client_for(first) as one,
        client_for(second) as other,
    ):
        yield one, other


async def post(client: httpx.AsyncClient, key: str, email: str) -> httpx.Response:
    body = lead_body(contact={"name": "Ada", "email": email})
    return await client.post("/v1/leads", json=body, headers={"Authorization": f"Bearer {key}"})


async def test_a_key_rotated_through_one_replica_is_refused_at_once_by_the_other(
    two_replicas: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, other = two_replicas
    old = await register_source(one, "website")
    assert (await post(other, old, "first@example.com")).status_code == 202
    rotated = await one.post("/v1/sources/website/key", headers=ADMIN)
    new = rotated.json()["api_key"]
    refused = await post(other, old, "second@example.com")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "The API key is not known."
    assert (await post(other, new, "third@example.com")).status_code == 202


async def test_a_source_revoked_through_one_replica_is_refused_at_once_by_the_other(
    two_replicas: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, other = two_replicas
    key = await register_source(one, "website")
    assert (await post(other, key, "first@example.com")).status_code == 202
    revoked = await one.post("/v1/sources/website/revocation", headers=ADMIN)
    assert revoked.status_code == 204
    refused = await post(other, key, "second@example.com")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


@pytest.mark.usefixtures("one_rate_window")
async def test_a_refused_key_does_not_count_against_the_sources_rate_limit(
    two_replicas: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, other = two_replicas
    old = await register_source(one, "website", rate=2)
    assert (await post(other, old, "first@example.com")).status_code == 202
    new = (await one.post("/v1/sources/website/key", headers=ADMIN)).json()["api_key"]
    assert [(await post(other, old, f"o{n}@example.com")).status_code for n in range(3)] == [
        401
    ] * 3
    assert (await post(other, new, "second@example.com")).status_code == 202
    assert (await post(other, new, "third@example.com")).status_code == 429


async def test_a_checklist_published_through_one_replica_judges_the_next_lead_on_the_other(
    two_replicas: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, other = two_replicas
    key = await register_source(one, "website")
    first = await post(other, key, "first@example.com")
    before = (await other.get(first.json()["status_url"], headers=ADMIN)).json()
    checklist = {"signals": [], "target_from": 90, "nurture_from": 0}
    published = await one.post("/v1/checklists", json=checklist, headers=ADMIN)
    assert published.status_code == 201, published.text
    second = await post(other, key, "second@example.com")
    after = (await other.get(second.json()["status_url"], headers=ADMIN)).json()
    assert (before["checklist_version"], before["status"]) == (1, "qualified")
    assert (after["checklist_version"], after["status"]) == (2, "nurtured")
