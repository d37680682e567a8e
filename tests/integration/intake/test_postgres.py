"""Intake on PostgreSQL: the migrations run and a lead goes through."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from conveyor.devkit.postgres import DatabaseServer
from conveyor.events.store import create_engine
from conveyor.intake.adapters import lookups
from conveyor.intake.adapters.rate_limit import COUNT_UNDER_KEY
from conveyor.intake.config import Settings
from tests.support import scans_of

from .conftest import (
    ADMIN_TOKEN,
    PUBLIC_URL,
    client_for,
    count_leads,
    lead_body,
    register_source,
    running_app,
)


def _settings(database_url: str, tmp_path: Path) -> Settings:
    """Intake on that database, its bus an embedded one in tmp_path."""
    return Settings(
        database_url=database_url,
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )


@pytest.mark.postgres
async def test_a_lead_posts_fine_on_postgresql(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> None:
    settings = _settings(postgres_server.create_database(unique_name), tmp_path)
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
    settings = _settings(postgres_server.create_database(unique_name), tmp_path)
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
    settings = _settings(postgres_server.create_database(unique_name), tmp_path)
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=5)
        async with client_for(app, key) as website:
            answers = await asyncio.gather(
                *(website.post("/v1/leads", json=lead_body()) for _ in range(8))
            )
    codes = sorted(a.status_code for a in answers)
    assert codes == [202] * 5 + [429] * 3


@pytest.mark.postgres
async def test_earlier_leads_are_found_by_index_probes_on_a_table_never_analysed(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> None:
    """The duplicate check of a group finds each person's newest lead by e-mail and by phone
    without reading the whole ``leads`` table, even before PostgreSQL has statistics of it
    (a fresh database's first minute under load)."""
    url = postgres_server.create_database(unique_name)
    settings = _settings(url, tmp_path)
    contact = {"name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 0000"}
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website")
        async with client_for(app, key) as website:
            first = (await website.post("/v1/leads", json=lead_body(contact=contact))).json()
            engine = create_engine(url)
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("ALTER TABLE leads SET (autovacuum_enabled = false)"))
                    await conn.execute(FILLER, {"lead": first["lead_id"], "count": 20_000})
                    phone = (await conn.execute(PHONE, {"lead": first["lead_id"]})).scalar_one()
                async with engine.begin() as conn:
                    before, _ = await scans_of(conn, "leads")
                    found = await conn.execute(
                        lookups.PEOPLE["postgresql"],
                        {"emails": ["ada@example.com", *OTHERS], "phones": [phone]},
                    )
                    leads_found = [row.id for row in found if row.kind == "lead"]
                    after, _ = await scans_of(conn, "leads")
            finally:
                await engine.dispose()
            again = {**contact, "email": "ada.lovelace@example.com"}
            touch = (await website.post("/v1/leads", json=lead_body(contact=again))).json()
    assert after == before
    assert set(leads_found) == {first["lead_id"]}
    assert touch["duplicate_of"] == first["lead_id"]


FILLER = text(
    "INSERT INTO leads SELECT (jsonb_populate_record(l, jsonb_build_object("
    " 'lead_id', 'filler-' || n, 'email_key', 'filler-' || n || '@example.com',"
    " 'phone', NULL))).* FROM leads l, generate_series(1, :count) n WHERE l.lead_id = :lead"
)
OTHERS = [f"nobody-{n}@example.com" for n in range(59)]  # a group's worth of arrivals
PHONE = text("SELECT phone FROM leads WHERE lead_id = :lead")


@pytest.mark.postgres
async def test_a_rate_count_commits_without_waiting_for_the_disk(
    postgres_server: DatabaseServer, unique_name: str, tmp_path: Path
) -> None:
    """A request's count (lost in a crash of the server at worst) does not wait for the flush,
    so the commits of leads do not queue behind it; the count itself is made as before. The
    test server runs without synchronous commits: the session asks for them."""
    url = postgres_server.create_database(unique_name)
    settings = _settings(url, tmp_path)
    async with running_app(settings) as app, client_for(app) as admin:
        await register_source(admin, "website")
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SET synchronous_commit TO on"))
            key_id = (await conn.execute(text("SELECT key_id FROM sources"))).scalar_one()
            await conn.commit()
            params = {"key_id": key_id, "window": 600, "n": 3}
            async with conn.begin():
                counted = (await conn.execute(COUNT_UNDER_KEY["postgresql"], params)).one()
                inside = (await conn.execute(text("SHOW synchronous_commit"))).scalar_one()
            after = (await conn.execute(text("SHOW synchronous_commit"))).scalar_one()
            await conn.rollback()
    finally:
        await engine.dispose()
    assert counted.hits == 3
    assert (inside, after) == ("off", "on")
