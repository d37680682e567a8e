"""Delivery to reps' apps: a follower of the router's log queues a webhook message for each
event a rep must hear of (in the same transaction as its log position), and a sender sends
each rep's messages in order, signed (Standard Webhooks), retried on a schedule, then
dead-lettered. Each pass sends the due messages of up to ``concurrency`` reps, each rep's as
a run (one after another over one connection while each is delivered; the reps' runs side by
side) and records what came of the whole pass in one transaction. Endpoints that keep
failing are marked unhealthy and their offered leads move on; 410 Gone disables the
endpoint."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram

from conveyor.events import tracing
from conveyor.events.replay import read_chunk
from conveyor.events.runtime import Runtime
from conveyor.events.store import load_position, save_position
from conveyor.events.waker import Waker
from conveyor.router.adapters.delivery_outcomes import DeliveryOutcomes, Tried
from conveyor.router.adapters.routing_state import RoutingStateCache
from conveyor.router.adapters.tables import secret_store
from conveyor.router.adapters.tables import webhook_queue as queue
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.domain.reps import Rep
from conveyor.router.service_layer.handshake import move_on
from conveyor.router.service_layer.messages import TOLD, messages_for
from conveyor.router.service_layer.ports import AccountMatching
from conveyor.webhooks.schedule import RETRY_SCHEDULE
from conveyor.webhooks.sender import Attempt, Session, WebhookSender, until_undelivered

log = logging.getLogger(__name__)
UNHEALTHY_PREFIX = "webhook endpoint"


class WebhookDelivery:
    """Queues and sends webhooks to reps' apps (one leader per service runs it)."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        cache: RoutingStateCache,
        sender: WebhookSender,
        unit_of_work: Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]],
        clock: Callable[[], datetime],
        base_url: str,
        matching: AccountMatching,
        schedule: Sequence[timedelta] = RETRY_SCHEDULE,
        unhealthy_after: int = 3,
        concurrency: int = 16,
        run_length: int = 25,
        name: str = "router.delivery",
    ) -> None:
        self.runtime, self.sender, self.unit_of_work = runtime, sender, unit_of_work
        self.cache = cache
        self.clock, self.base_url, self.matching = clock, base_url, matching
        self.schedule, self.unhealthy_after = tuple(schedule), unhealthy_after
        self.concurrency, self.run_length, self.name = concurrency, run_length, name
        self.waker = Waker()
        self._metrics(runtime)
        self.outcomes = DeliveryOutcomes(
            unit_of_work, runtime.writer, runtime.source, self.schedule, unhealthy_after, self.dead
        )

    def _metrics(self, runtime: Runtime) -> None:
        registry = runtime.metrics.registry
        self.latency = Histogram(
            "conveyor_router_webhook_seconds",
            "Webhook attempts to reps' apps, by outcome",
            ["outcome"],
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.dead = Counter(
            "conveyor_router_webhook_dead_letters",
            "Webhook messages dead-lettered",
            registry=registry,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Queue and send until stop is set; sleep until the next message is due. What a
        pass sent is recorded while the offers decided meanwhile are queued; the next pass
        waits for the record (no message is sent again while its outcome is being stored,
        and each rep's messages stay in order)."""
        recording: asyncio.Task[int] | None = None
        try:
            while not stop.is_set():
                try:
                    queued = await self._queue_while(recording, stop)
                    previous, recording = recording, None
                    recorded = await _finished(previous)
                    tried = await self._try_due()
                    if tried:
                        recording = asyncio.create_task(self._record(tried))
                    if tried or queued or recorded:
                        continue
                    wait = await self._until_next_due()
                except Exception:
                    log.exception("webhook delivery failed; retrying")
                    wait = 1.0
                await self.waker.wait(stop, wait)
        finally:
            try:
                await _finished(recording)
            except Exception:
                log.exception("recording the last webhook pass failed; it is sent again")

    async def _queue_while(self, recording: asyncio.Task[int] | None, stop: asyncio.Event) -> int:
        """Queue the messages of the log's next events, and of those its commits bring while
        the last pass is being recorded; return how many events were read."""
        queued = await self.queue_once()
        while recording is not None and not recording.done() and not stop.is_set():
            await self.waker.wait(stop, 1.0, until=recording)
            queued += await self.queue_once()
        return queued

    async def queue_once(self, limit: int = 500) -> int:
        """Queue the messages of the next events of the log; return how many were read."""
        async with self.runtime.engine.begin() as conn:
            after = await load_position(conn, self.name)
            page = await read_chunk(conn, self.runtime.store, types=TOLD, after=after, limit=limit)
            if page is None:
                return 0
            reps = (await self.cache.refreshed(conn)).reps
            messages = [
                m
                for recorded in page.events
                for m in messages_for(recorded, self.base_url)
                if (rep := reps.get(m.endpoint_id)) is not None and rep.webhook_url
            ]
            await queue.enqueue(conn, messages, self.clock().timestamp())
            await save_position(conn, self.name, page.last)
        return page.read

    async def _try_due(self) -> list[Tried]:
        """Send the due messages of up to ``concurrency`` reps (the longest due first), each
        rep's as a run (up to ``run_length``, one after another while each is delivered,
        for about one timeout at most), the reps' runs side by side; what came of each."""
        now = self.clock().timestamp()
        async with self.runtime.engine.connect() as conn:
            runs = await queue.due_runs(conn, now, self.concurrency, per_endpoint=self.run_length)
            if not runs:
                return []
            reps = (await self.cache.refreshed(conn)).reps
            ids = [run[0]["endpoint_id"] for run in runs]
            secrets = await secret_store.in_force_of(conn, ids, now)
        tried = await asyncio.gather(
            *(
                self._send_run(run, reps.get(rep_id), secrets.get(rep_id, []))
                for run, rep_id in zip(runs, ids, strict=True)
            )
        )
        return [item for run in tried for item in run]

    async def _record(self, done: list[Tried]) -> int:
        """Record what came of a pass in one transaction (moving the offers of reps whose
        endpoint it found unhealthy); return how many messages it sent or dead-lettered."""
        if not done:
            return 0
        for rep_id in await self.outcomes.record_all(done, self.clock()):
            await self._move_offers(rep_id)
        return len(done)

    async def _send_run(
        self, run: list[dict[str, Any]], rep: Rep | None, secrets: list[str]
    ) -> list[Tried]:
        """Send a rep's messages in order over one connection until one is not delivered
        or about one timeout has passed (a disabled, gone or unsigned endpoint's are all
        dead-lettered unsent)."""
        if not rep or not rep.webhook_url or rep.webhook_status == "disabled" or not secrets:
            return [Tried(head, None, None) for head in run]
        async with self.sender.session(rep.webhook_url) as session:
            sent = await until_undelivered(
                run, lambda head: self._send(session, head, secrets), budget=self.sender.timeout
            )
        return [Tried(head, rep, attempt) for head, attempt in sent]

    async def _until_next_due(self) -> float:
        async with self.runtime.engine.connect() as conn:
            due = await queue.next_due(conn)
        if due is None:
            return 5.0
        return min(max(due - self.clock().timestamp(), 0.05), 5.0)

    async def _send(self, session: Session, head: dict[str, Any], secrets: list[str]) -> Attempt:
        trace = head["correlation_id"], head["message_id"]
        with tracing.span(
            "deliver lead to rep app",
            correlation_id=trace[0],
            parent_event_id=trace[1],
            kind=SpanKind.CLIENT,
        ):
            attempt = await session.send(
                msg_id=head["message_id"],
                body=head["body"].encode(),
                secrets=secrets,
                extra_headers={"traceparent": tracing.traceparent(*trace)},
                timestamp=int(self.clock().timestamp()),
            )
        self.latency.labels(attempt.outcome).observe(attempt.duration)
        return attempt

    async def _move_offers(self, rep_id: str) -> None:
        """The rep's leads not yet accepted go to the next eligible rep, one per commit."""
        while True:
            async with self.unit_of_work() as uow:
                state = await uow.routing_state()
                rep = state.reps.get(rep_id)
                offer = next(
                    (
                        o
                        for o in state.offers.values()
                        if o.rep_id == rep_id and o.status == "offered"
                    ),
                    None,
                )
                if rep is None or rep.webhook_status == "healthy" or offer is None:
                    return
                reason = f"{UNHEALTHY_PREFIX} {rep.webhook_status}"
                await move_on(
                    offer,
                    uow,
                    [],
                    source=self.runtime.source,
                    now=self.clock(),
                    matching=self.matching,
                    reason=reason,
                )


async def _finished(task: asyncio.Task[int] | None) -> int:
    """What a pass's record returned, once it has (0 without one); its error is raised."""
    return 0 if task is None else await task
