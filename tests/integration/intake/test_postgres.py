"""Intake on PostgreSQL: the migrations run and a lead goes through."""

import asyncio
from pathlib import Path

import pytest

from conveyor.devkit.postgres import DatabaseServer
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


@pytest.mark.postgres
async def test_a_lead_posts_fine_on_postgresql(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_server.create_database(unique_name),
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website")
        async with client_for(app, key) as website:
            posted = await website.post("/v1/leads", json=lead_body())
            assert posted.status_code == 202
            status = await website.get(posted.json()["status_url"])
    assert status.json()["status"] == "qualified"


@pytest.mark.postgres
async def test_concurrent_retries_under_one_key_make_one_lead_on_postgresql(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_server.create_database(unique_name),
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=1000)
        async with client_for(app, key) as website:
            answers = await asyncio.gather(
                *(
                    website.post("/v1/leads", json=lead_body(), headers={"Idempotency-Key": "k"})
                    for _ in range(8)
                )
            )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["lead_id"] for a in answers}) == 1
    assert await count_leads(settings.database_url) == 1


@pytest.mark.postgres
@pytest.mark.usefixtures("one_rate_window")
async def test_the_rate_limit_holds_on_postgresql(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_server.create_database(unique_name),
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=5)
        async with client_for(app, key) as website:
            answers = await asyncio.gather(
                *(website.post("/v1/leads", json=lead_body()) for _ in range(8))
            )
    codes = sorted(a.status_code for a in answers)
    assert codes == [202] * 5 + [429] * 3
