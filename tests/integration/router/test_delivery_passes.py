"""A delivery pass's outcomes recorded together: one transaction, in order, each rep's
endpoint status carried from one outcome to the next (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import event

from conveyor.events.store import appends_made
from conveyor.router.adapters.delivery_outcomes import DeliveryOutcomes, Tried
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.bootstrap import RouterService
from conveyor.webhooks.sender import Attempt
from tests.integration.router.test_lead_batches import service

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
