"""A delivery pass's outcomes recorded together: one transaction, in order, each rep's
endpoint status carried from one outcome to the next; the next offers queued while a pass
is being recorded (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import event, select

from conveyor.events.store import appends_made
from conveyor.router.adapters.delivery_outcomes import DeliveryOutcomes, Tried
from conveyor.router.adapters.tables import webhook_queue
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.bootstrap import RouterService
from conveyor.router.config import Settings
from conveyor.webhooks.sender import Attempt
from tests.integration.router.conftest import register
from tests.integration.router.receiver import Receiver
from tests.integration.router.test_lead_batches import service
from tests.integration.router.test_router_app import publish_qualified
from tests.support import wait_for

__all__ = ["service"]
DELIVERED = Attempt("delivered", 200, "", 0.01)
FAILED = Attempt("retry", 503, "HTTP 503", 0.01)


def head(n: int) -> dict[str, Any]:
    return {
        "message_id": f"m{n}",
        "endpoint_id": "ana",
        "subject_id": f"l{n}",
        "reference_id": f"a{n}",
        "kind": "lead.assigned",
        "correlation_id": f"c{n}",
        "attempts": 0,
    }


async def test_an_unhealthy_rep_delivered_twice_then_failing_turns_healthy_once_then_unhealthy(
    service: tuple[RouterService, httpx.AsyncClient],
) -> None:
    router, client = service
    body = {
        "rep_id": "ana",
        "name": "Ana",
        "role": "hunter",
        "webhook_url": "http://127.0.0.1:9/ana",
    }
    assert (await client.post("/v1/reps", json=body)).status_code == 201
    async with router.runtime.engine.connect() as conn:
        ana = (await router.cache.refreshed(conn)).reps["ana"]
    unhealthy = replace(ana, webhook_status="unhealthy")  # as the pass read it
    appended: list[int] = []

    @asynccontextmanager
    async def counted() -> AsyncIterator[SqlUnitOfWork]:
        async with router.unit_of_work() as uow:
            before = appends_made(uow.conn)
            yield uow
            appended.append(appends_made(uow.conn) - before)

    outcomes = DeliveryOutcomes(
        counted,
        router.runtime.writer,
        router.runtime.source,
        [timedelta(seconds=5)],
        1,  # unhealthy after one failed attempt
        Counter("dead", "dead letters", registry=CollectorRegistry()),
    )
    tried = [Tried(head(1), unhealthy, DELIVERED), Tried(head(2), unhealthy, DELIVERED)]
    tried.append(Tried(head(3), unhealthy, FAILED))
    updates: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE webhook_messages"):
            updates.append(statement)

    sync_engine = router.runtime.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        moving = await outcomes.record_all(tried, datetime(2026, 11, 23, 9, tzinfo=UTC))
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert appended == [1]  # the pass's five events in one append (one statement on PostgreSQL)
    assert len(updates) == 2  # the queue rows: one for the delivered pair, one for the failure

    assert moving == ["ana"]  # the failure turned the (by then healthy) endpoint unhealthy
    async with router.runtime.engine.connect() as conn:
        log = [r.envelope.data for r in await router.runtime.store.read_all(conn, after=0)]
    statuses = [e.status for e in log if type(e).__name__ == "RepWebhookStatusChanged"]
    assert statuses == ["healthy", "unhealthy"]
    kinds = [type(e).__name__ for e in log if type(e).__name__.startswith("WebhookDeliver")]
    assert kinds == ["WebhookDelivered", "WebhookDelivered", "WebhookDeliveryFailed"]


async def test_the_next_offers_are_queued_while_a_pass_is_being_recorded(
    service: tuple[RouterService, httpx.AsyncClient],
    settings: Settings,
    receiver: tuple[Receiver, str],
) -> None:
    router, client = service
    state, url = receiver
    await register(client, state, url, "ana")
    assert router.delivery is not None
    outcomes, release = router.delivery.outcomes, asyncio.Event()
    record_all = outcomes.record_all

    async def held(tried: list[Tried], now: datetime) -> list[str]:
        await release.wait()
        return await record_all(tried, now)

    outcomes.record_all = held  # type: ignore[method-assign]
    try:
        await publish_qualified(settings, ["l1"])
        await wait_for(lambda: _sent(state, 1), what="l1 sent, its pass being recorded")
        await publish_qualified(settings, ["l2"])
        await wait_for(lambda: _queued(router, "l2"), what="l2 queued meanwhile")
        assert [a["payload"]["lead_id"] for a in state.accepted] == ["l1"]  # not sent yet
    finally:
        release.set()
    await wait_for(lambda: _sent(state, 2), what="l2 sent once l1's pass is recorded")
    assert [a["payload"]["lead_id"] for a in state.accepted] == ["l1", "l2"]
    async with router.runtime.engine.connect() as conn:
        log = [r.envelope.data for r in await router.runtime.store.read_all(conn, after=0)]
    delivered = [e.lead_id for e in log if type(e).__name__ == "WebhookDelivered"]
    assert delivered == ["l1", "l2"]


async def _sent(state: Receiver, n: int) -> bool:
    return len(state.accepted) >= n


async def _queued(router: RouterService, lead_id: str) -> bool:
    table = webhook_queue.table
    async with router.runtime.engine.connect() as conn:
        found = await conn.execute(select(table.c.message_id).where(table.c.subject_id == lead_id))
        return found.first() is not None
