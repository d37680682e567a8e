"""Leads posted at the same time share transactions (group commit) and each is answered as
if it had come alone: its own lead, duplicates and idempotent retries found within the
group, a reused key refused, the rate limit counted exactly; on SQLite and on PostgreSQL."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from conveyor.intake.bootstrap import IntakeService
from conveyor.intake.config import Settings

from .conftest import (
    ADMIN_TOKEN,
    PUBLIC_URL,
    client_for,
    count_leads,
    lead_body,
    register_source,
    running_app,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, unique_name: str) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    return str(request.getfixturevalue("postgres_server").create_database(unique_name))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )


def person(n: int) -> dict[str, Any]:
    contact = {"name": f"Person {n}", "email": f"p{n}@example.com", "company": f"Co {n}"}
    return lead_body(contact=contact)


async def test_leads_posted_together_are_each_answered_as_if_alone(
    settings: Settings, database_url: str
) -> None:
    app: FastAPI
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=10_000)
        async with client_for(app, key) as website:

            async def post(body: dict[str, Any], idempotency: str | None = None) -> httpx.Response:
                headers = {"Idempotency-Key": idempotency} if idempotency else {}
                return await website.post("/v1/leads", json=body, headers=headers)

            posts = [post(person(n)) for n in range(30)]
            posts += [post(person(100)), post(person(100))]  # one person twice
            posts += [post(person(200), "retry-1"), post(person(200), "retry-1")]  # a retry
            posts += [post(person(300), "reused"), post(person(301), "reused")]  # key reused
            responses = await asyncio.gather(*posts)
        service: IntakeService = app.state.service
        assert service.grouped.groups >= 1, "no two leads shared a transaction"

    assert [r.status_code for r in responses[:34]] == [202] * 34
    distinct = {r.json()["lead_id"] for r in responses[:30]}
    assert len(distinct) == 30
    twice = [r.json() for r in responses[30:32]]
    assert twice[0]["lead_id"] != twice[1]["lead_id"]
    originals = [t["lead_id"] for t in twice if t["duplicate_of"] is None]
    copies = [t["duplicate_of"] for t in twice if t["duplicate_of"] is not None]
    assert len(originals) == 1 and copies == originals
    retried = [r for r in responses[32:34]]
    assert retried[0].json()["lead_id"] == retried[1].json()["lead_id"]
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in retried) == ["", "true"]
    assert sorted(r.status_code for r in responses[34:]) == [202, 409]
    # 30 people, the person posting twice (a lead and its touch), the retried lead once,
    # the first lead under the reused key
    assert await count_leads(database_url) == 34


async def test_requests_counted_together_keep_the_rate_limit_exact(
    settings: Settings, database_url: str
) -> None:
    app: FastAPI
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=5)
        async with client_for(app, key) as website:
            answers = await asyncio.gather(
                *(website.post("/v1/leads", json=person(n)) for n in range(12))
            )
        service: IntakeService = app.state.service
        assert service.limiter.grouped.groups >= 1, "no two requests were counted together"
    assert sorted(a.status_code for a in answers) == [202] * 5 + [429] * 7
    assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in answers if a.status_code == 429)
    assert await count_leads(database_url) == 5
