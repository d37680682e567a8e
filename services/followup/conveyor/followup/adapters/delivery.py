"""Delivery of tasks to farmers' apps: a follower of followup's log queues a webhook message
for each event a farmer's app must hear of (in the same transaction as its log position),
and a sender sends each farmer's messages in order (a run of them over one connection),
signed (Standard Webhooks), retried on a schedule, then dead-lettered; 410 Gone disables the
endpoint. What a pass sent is recorded in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram

from conveyor.events import tracing
from conveyor.events.replay import read_chunk
from conveyor.events.runtime import Runtime
from conveyor.events.store import load_position, save_position
from conveyor.events.waker import Waker
from conveyor.followup.adapters.attempts import Attempts, Tried
from conveyor.followup.adapters.clocks import SystemClock
from conveyor.followup.adapters.endpoints import Endpoint, endpoints, task_briefs
from conveyor.followup.adapters.tables import secret_store
from conveyor.followup.adapters.tables import webhook_queue as queue
from conveyor.followup.service_layer.messages import TOLD, messages_for, task_of
from conveyor.followup.service_layer.ports import Clock
from conveyor.webhooks.schedule import RETRY_SCHEDULE
from conveyor.webhooks.sender import Attempt, Session, WebhookSender, until_undelivered

log = logging.getLogger(__name__)


class TaskDelivery:
    """Queues and sends task webhooks to farmers' apps (one leader per service runs it).

    Events are stamped by the service's clock; the delivery itself (signature timestamps,
    retries, secrets in force) runs on the wall clock, which receivers check against.
    """

    def __init__(
        self,
        *,
        runtime: Runtime,
        sender: WebhookSender,
        clock: Clock,
        base_url: str,
        schedule: Sequence[timedelta] = RETRY_SCHEDULE,
        concurrency: int = 16,
        run_length: int = 25,
        name: str = "followup.delivery",
        wall: Clock | None = None,
    ) -> None:
        self.runtime, self.sender, self.base_url = runtime, sender, base_url
        self.wall = wall or SystemClock()
        self.concurrency, self.run_length, self.name = concurrency, run_length, name
        self.waker = Waker()
        self.latency = Histogram(
            "conveyor_followup_webhook_seconds",
            "Webhook attempts to farmers' apps, by outcome",
            ["outcome"],
            registry=runtime.metrics.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        dead = Counter(
            "conveyor_followup_webhook_dead_letters",
            "Task webhooks dead-lettered",
            registry=runtime.metrics.registry,
        )
        self.attempts = Attempts(
            runtime=runtime, clock=clock, wall=self.wall, schedule=schedule, dead_letters=dead
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Queue and send until stop is set; sleep until the next message is due."""
        while not stop.is_set():
            try:
                queued = await self.queue_once()
                if await self.send_once() or queued:
                    continue
                wait = await self._until_next_due()
            except Exception:
                log.exception("task webhook delivery failed; retrying")
                wait = 1.0
            await self.waker.wait(stop, wait)

    async def queue_once(self, limit: int = 500) -> int:
        """Queue the messages of the next events of the log; return how many were read."""
        async with self.runtime.engine.begin() as conn:
            after = await load_position(conn, self.name)
            page = await read_chunk(conn, self.runtime.store, types=TOLD, after=after, limit=limit)
            if page is None:
                return 0
            ids = [task_id for recorded in page.events if (task_id := task_of(recorded))]
            briefs = await task_briefs(conn, ids)
            known = await endpoints(conn)
            messages = [
                m
                for recorded in page.events
                for m in messages_for(recorded, briefs.get(task_of(recorded) or ""), self.base_url)
                if m.endpoint_id in known
            ]
            await queue.enqueue(conn, messages, self.wall.now().timestamp())
            await save_position(conn, self.name, page.last)
        return page.read

    async def send_once(self) -> int:
        """Send the due messages of up to ``concurrency`` farmers, each farmer's as a run (up
        to ``run_length``, one after another over one connection while each is delivered,
        for about one timeout at most), the runs side by side; record what came of them in
        one transaction; return how many messages were sent or dead-lettered."""
        now = self.wall.now().timestamp()
        async with self.runtime.engine.connect() as conn:
            runs = await queue.due_runs(conn, now, self.concurrency, per_endpoint=self.run_length)
            if not runs:
                return 0
            known = await endpoints(conn)
            ids = [run[0]["endpoint_id"] for run in runs]
            secrets = await secret_store.in_force_of(conn, ids, now)
        tried = await asyncio.gather(
            *(
                self._send_run(run, known.get(farmer_id), secrets.get(farmer_id, []))
                for run, farmer_id in zip(runs, ids, strict=True)
            )
        )
        done = [item for run in tried for item in run]
        await self.attempts.record_all(done)
        return len(done)

    async def _send_run(
        self, run: list[dict[str, Any]], endpoint: Endpoint | None, secrets: list[str]
    ) -> list[Tried]:
        if endpoint is None or not endpoint.enabled or not secrets:
            return [(head, "", None) for head in run]
        async with self.sender.session(endpoint.url) as session:
            sent = await until_undelivered(
                run, lambda head: self._send(session, head, secrets), budget=self.sender.timeout
            )
        return [(head, endpoint.url, attempt) for head, attempt in sent]

    async def _until_next_due(self) -> float:
        async with self.runtime.engine.connect() as conn:
            due = await queue.next_due(conn)
        if due is None:
            return 5.0
        return min(max(due - self.wall.now().timestamp(), 0.05), 5.0)

    async def _send(self, session: Session, head: dict[str, Any], secrets: list[str]) -> Attempt:
        trace = head["correlation_id"], head["message_id"]
        with tracing.span(
            "deliver task to farmer app",
            correlation_id=trace[0],
            parent_event_id=trace[1],
            kind=SpanKind.CLIENT,
        ):
            attempt = await session.send(
                msg_id=head["message_id"],
                body=head["body"].encode(),
                secrets=secrets,
                extra_headers={"traceparent": tracing.traceparent(*trace)},
            )
        self.latency.labels(attempt.outcome).observe(attempt.duration)
        return attempt
