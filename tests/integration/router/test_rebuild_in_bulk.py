"""The router's read models, rebuilt with rows written out after every event (the memory
bound at its smallest: every later change reads its row back), equal the live ones."""

from __future__ import annotations

import httpx

from conveyor.events.catalogue import build_registry
from conveyor.events.projection import rebuild
from conveyor.events.store import EventStore, create_engine
from conveyor.router.adapters.projections import AssignmentsProjection, RepsProjection
from conveyor.router.config import Settings
from tests.integration.router.test_router_app import (
    _all_delivered,
    _snapshot,
    inbox_url,
    publish_qualified,
    received,
    register,
    router,
)
from tests.support import wait_for

__all__ = ["inbox_url", "router"]


async def test_assignments_rebuilt_with_every_row_written_out_at_once_equal_the_live_ones(
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
    for max_rows in (0, 100_000):
        await rebuild(engine, EventStore(build_registry()), projections, max_rows=max_rows)
        assert await _snapshot(engine) == live
    await engine.dispose()
