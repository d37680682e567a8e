"""A simulation over three thousand historical leads, through the HTTP API on SQLite: the
differences are the ones the draft policy implies, and nothing live changes (the log, the
read models, the counters). The API is served without its background workers, so nothing
but the simulation touches the database (the PostgreSQL and Kafka test covers the bus)."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.events.migrate import upgrade
from conveyor.router.adapters import MIGRATIONS
from conveyor.router.bootstrap import RouterService, bootstrap
from conveyor.router.config import Settings
from conveyor.router.entrypoints.app import create_app
from conveyor.router.service_layer import handlers
from conveyor.router.service_layer.commands import RegisterRep
from conveyor.router.service_layer.routing import route_lead
from tests.unit.router.fakes import qualified

from .harness import ManualClock, utc
from .test_waiting_leads import make_settings

LEADS = 3000
BATCH = 100
START = utc("2026-03-02T09:00:00")
DRAFT = {
    "rules": [
        {"name": "france", "pool": "fr",
         "when": [{"field": "location.country", "op": "equals", "value": "FR"}]},
        {"name": "rest", "pool": "default"},
    ],
    "start": "2026-03-02T00:00:00Z",
    "end": "2026-03-03T00:00:00Z",
}  # fmt: skip


async def record_history(settings: Settings, clock: ManualClock) -> RouterService:
    """LEADS leads routed within 25 minutes by the live policy (round robin over ana and
    ben; cy serves pool fr only), through the router's own use cases on its database."""
    await asyncio.to_thread(upgrade, settings.database_url, str(MIGRATIONS))
    service = bootstrap(settings, clock)
    source = service.runtime.source
    for rep_id, pools in (("ana", ("default",)), ("ben", ("default",)), ("cy", ("fr",))):
        cmd = RegisterRep(rep_id=rep_id, name=rep_id, role="hunter", pools=pools)
        await run(service, lambda uow, cmd=cmd: handlers.register_rep(cmd, uow, source=source))
    for batch in range(0, LEADS, BATCH):
        await run(service, lambda uow, batch=batch: _route(uow, service, clock, batch))
    return service


async def _route(uow: Any, service: RouterService, clock: ManualClock, first: int) -> None:
    """Route leads first .. first + BATCH, half a second apart, in one transaction."""
    for n in range(first, first + BATCH):
        clock.advance(seconds=0.5)
        lead = qualified(f"l{n}", country="FR" if n % 4 == 0 else "DE")
        await route_lead(
            lead, uow, source=service.runtime.source, now=clock(), matching=service.matching
        )


async def run(service: RouterService, handle: Any) -> None:
    async with service.unit_of_work() as uow:
        await handle(uow)


@pytest.fixture
async def router(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, RouterService]]:
    clock = ManualClock(START)
    service = await record_history(make_settings(tmp_path), clock)
    app = create_app(service.settings, clock=clock)
    app.state.service = service  # served without starting the relay and the workers
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
        yield client, service
    await service.runtime.engine.dispose()


async def test_a_simulation_over_three_thousand_leads_gives_the_drafts_differences(
    router: tuple[httpx.AsyncClient, RouterService],
) -> None:
    client, service = router
    before = await _live(client, service)
    response = await client.post("/v1/routing/simulations", json=DRAFT, timeout=300)
    assert response.status_code == 200, response.text
    result = response.json()
    french = {f"l{n}" for n in range(0, LEADS, 4)}
    assert result["leads"] == LEADS
    to_cy = {d["lead_id"] for d in result["differences"] if d["simulated_rep"] == "cy"}
    assert to_cy == french
    assert {d["simulated_rule"] for d in result["differences"] if d["lead_id"] in french} == {
        "france"
    }
    others = [d for d in result["differences"] if d["lead_id"] not in french]
    assert {(d["actual_rep"], d["simulated_rep"]) for d in others} <= {("ana", "ben"),
                                                                        ("ben", "ana")}  # fmt: skip
    assert result["changed"] == len(result["differences"]) > len(french)
    assert result["load_before"] == {"ana": LEADS // 2, "ben": LEADS // 2}
    assert result["load_after"] == {"ana": 1125, "ben": 1125, "cy": 750}
    assert result["unroutable_before"] == result["unroutable_after"] == 0
    away = await client.post("/v1/routing/simulations", timeout=300,
                             json={**DRAFT, "roster": {"cy": {"active": False}}})  # fmt: skip
    assert away.json()["changed"] == 0 and "cy" not in away.json()["load_after"]
    assert await _live(client, service) == before


async def _live(client: httpx.AsyncClient, service: RouterService) -> dict[str, Any]:
    """What a simulation must not change: the log's head, the read models, the counters."""
    async with service.runtime.engine.connect() as conn:
        head = await service.runtime.store.head(conn)
    assignments = (await client.get("/v1/assignments")).json()
    return {
        "head": head,
        "assignments": sorted((a["lead_id"], a["rep_id"]) for a in assignments),
        "counters": (await client.get("/v1/pools/default/counters")).json(),
        "reps": (await client.get("/v1/reps")).json(),
        "policies": (await client.get("/v1/routing/policies")).json(),
    }
