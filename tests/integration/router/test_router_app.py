"""The router app in-process on SQLite and the embedded bus, delivering to a real HTTP inbox."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.devkit.inbox import create_inbox_app
from conveyor.events import new_envelope
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.router import DealWon
from conveyor.events.catalogue.topics import ASSIGNMENTS, DEALS, LEADS
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.codec import encode
from conveyor.events.migrate import upgrade
from conveyor.events.projection import rebuild
from conveyor.events.store import EventStore, create_engine
from conveyor.events.transport import OutboundMessage
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.router.adapters import MIGRATIONS
from conveyor.router.adapters.projections import AssignmentsProjection, RepsProjection
from conveyor.router.adapters.tables import assignments, pools, reps, unroutable
from conveyor.router.config import Settings
from conveyor.router.entrypoints.app import create_app
from tests.support import read_topic, running_server, wait_for


@pytest.fixture
async def inbox_url() -> AsyncIterator[str]:
    async with running_server(create_inbox_app()) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        webhook_require_https=False,
        webhook_allow_loopback=True,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'router.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
    )


@pytest.fixture
async def router(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade, settings.database_url, str(MIGRATIONS))
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router"
        ) as client,
    ):
        yield client


async def publish_qualified(settings: Settings, lead_ids: list[str]) -> None:
    transport = EmbeddedTransport.from_url(settings.bus_url)
    sink = transport.sink()
    await sink.start()
    messages = []
    for lead_id in lead_ids:
        lead = LeadSnapshot(
            lead_id=lead_id,
            source="web",
            channel="web_form",
            contact=Contact(name=f"Lead {lead_id}", email="x@example.com"),
        )
        event = LeadQualified(lead_id=lead_id, lead=lead, score=80, temperature="hot")
        envelope = new_envelope(event, subject=lead_id, source="/conveyor/intake")
        messages.append(OutboundMessage(LEADS, encode(envelope)))
    await sink.publish(messages)
    await transport.close()


async def register(
    router: httpx.AsyncClient, inbox_url: str, *rep_ids: str, role: str = "hunter"
) -> None:
    for rep_id in rep_ids:
        response = await router.post(
            "/v1/reps",
            json={
                "rep_id": rep_id,
                "name": rep_id.title(),
                "role": role,
                "webhook_url": f"{inbox_url}/hooks/{rep_id}",
            },
        )
        assert response.status_code == 201, response.text


async def received(inbox_url: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        async with httpx.AsyncClient() as client:
            got: list[dict[str, Any]] = (await client.get(f"{inbox_url}/received")).json()
        return got if len(got) >= count else None

    return await wait_for(probe, what=f"{count} webhooks")


async def test_qualified_leads_go_round_robin_to_hunters_webhooks(
    router: httpx.AsyncClient, settings: Settings, inbox_url: str
) -> None:
    await register(router, inbox_url, "ana", "ben")
    await register(router, inbox_url, "fay", role="farmer")
    await publish_qualified(settings, ["l1", "l2", "l3", "l4"])
    got = await received(inbox_url, 4)
    # each rep's webhooks arrive in log order; different reps' are sent side by side
    per_rep = {
        r: [g["payload"]["lead_id"] for g in got if g["rep_id"] == r] for r in ("ana", "ben")
    }
    assert per_rep == {"ana": ["l1", "l3"], "ben": ["l2", "l4"]}
    assert len({g["webhook_id"] for g in got}) == 4
    assert got[0]["payload"]["explanation"].startswith("round robin")
    listed = (await router.get("/v1/assignments", params={"lead_id": "l1"})).json()
    assert listed[0]["rep_id"] == "ana"
    assert (
        await wait_for(
            lambda: _delivery(router, listed[0]["assignment_id"]), what="delivery recorded"
        )
        == "delivered"
    )


async def _delivery(router: httpx.AsyncClient, assignment_id: str) -> str | None:
    body = (await router.get(f"/v1/assignments/{assignment_id}")).json()
    return body["delivery"] if body["delivery"] != "pending" else None


async def test_a_won_deal_is_published_once_and_cannot_be_won_twice(
    router: httpx.AsyncClient, settings: Settings, inbox_url: str
) -> None:
    await register(router, inbox_url, "ana")
    await publish_qualified(settings, ["l1"])
    payload = (await received(inbox_url, 1))[0]["payload"]
    won_path = payload["links"]["won"].removeprefix(settings.base_url)
    first = await router.post(won_path, json={"amount": "1200.50", "currency": "EUR"})
    again = await router.post(won_path, json={"amount": "1200.50", "currency": "EUR"})
    assert first.status_code == 201 and first.json()["status"] == "won"
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    bus = EmbeddedTransport.from_url(settings.bus_url)
    # LeadAssigned, WebhookDelivered, LeadAccepted (a won deal accepts the offer); the deal
    # goes on its own topic, for the services that follow deals only
    offers = await read_topic(bus, ASSIGNMENTS, 3, group="test-reader")
    deals = await read_topic(bus, DEALS, 1, group="test-reader")
    await bus.close()
    assert not [e for e in offers if isinstance(e.data, DealWon)]
    won = [e.data for e in deals if isinstance(e.data, DealWon)]
    assert len(won) == 1 and str(won[0].amount) == "1200.50" and won[0].rep_id == "ana"


async def test_bad_requests_get_problem_details_naming_the_field(
    router: httpx.AsyncClient,
) -> None:
    bad_rep = await router.post("/v1/reps", json={"rep_id": "a b", "name": "", "role": "boss"})
    assert bad_rep.status_code == 422
    assert bad_rep.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in bad_rep.json()["errors"]}
    assert fields == {"rep_id", "name", "role"}
    bad_won = await router.post("/v1/assignments/nope/won", json={"amount": -1, "currency": "eu"})
    assert {e["field"] for e in bad_won.json()["errors"]} == {"amount", "currency"}
    missing = await router.post("/v1/assignments/nope/won", json={"amount": 1, "currency": "EUR"})
    assert missing.status_code == 404
    assert missing.json()["title"] == "Assignment not found"


async def test_a_rep_id_is_registered_once(router: httpx.AsyncClient, inbox_url: str) -> None:
    await register(router, inbox_url, "ana")
    again = await router.post("/v1/reps", json={"rep_id": "ana", "name": "X", "role": "hunter"})
    assert again.status_code == 409
    assert [r["rep_id"] for r in (await router.get("/v1/reps")).json()] == ["ana"]


async def test_a_lead_with_no_hunter_is_recorded_unroutable(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    await publish_qualified(settings, ["l1"])
    engine = create_engine(settings.database_url)

    async def probe() -> list[Any] | None:
        async with engine.connect() as conn:
            return list((await conn.execute(select(unroutable))).all()) or None

    rows = await wait_for(probe, what="unroutable lead")
    await engine.dispose()
    assert rows[0].lead_id == "l1" and "no active hunter" in rows[0].reason


async def test_read_models_rebuilt_from_the_log_equal_the_live_ones(
    router: httpx.AsyncClient, settings: Settings, inbox_url: str
) -> None:
    await register(router, inbox_url, "ana", "ben")
    await publish_qualified(settings, ["l1", "l2", "l3"])
    got = await received(inbox_url, 3)
    won = got[1]["payload"]["links"]["won"].removeprefix(settings.base_url)
    assert (await router.post(won, json={"amount": "10", "currency": "EUR"})).status_code == 201
    engine = create_engine(settings.database_url)
    await wait_for(lambda: _all_delivered(engine), what="deliveries recorded")
    live = await _snapshot(engine)
    projections = [RepsProjection(), AssignmentsProjection()]
    for max_rows in (100_000, 0):  # every row held in memory; every row written out at once
        replayed = await rebuild(
            engine, EventStore(build_registry()), projections, max_rows=max_rows
        )
        assert replayed >= 2 + 3 + 3 + 1
        assert await _snapshot(engine) == live
    await engine.dispose()


async def _all_delivered(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(assignments.c.delivery))).all()
    return len(rows) == 3 and all(r.delivery == "delivered" for r in rows)


async def _snapshot(engine: AsyncEngine) -> dict[str, list[Any]]:
    async with engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in (await conn.execute(select(t))).all())
            for t in (reps, pools, assignments)
        }
