"""What a webhook attempt comes to, recorded in one transaction: the queue row and the
events (delivered, failed with the next attempt's time, dead-lettered), and the rep's
endpoint turning unhealthy, healthy again or disabled (410 Gone)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue.delivery import (
    EndpointStatus,
    RepWebhookStatusChanged,
    WebhookDeadLettered,
)
from conveyor.events.catalogue.router import WebhookDelivered, WebhookDeliveryFailed
from conveyor.events.projection import EventWriter
from conveyor.events.store import lock_log
from conveyor.router.adapters.tables import assignments
from conveyor.router.adapters.tables import webhook_queue as queue
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.domain.reps import Rep
from conveyor.webhooks.schedule import next_attempt_at
from conveyor.webhooks.sender import Attempt
from conveyor.webhooks.store import DEAD, DELIVERED


@dataclass(frozen=True)
class Tried:
    """A queued message and what came of it: the attempt, or none when its rep's endpoint
    is disabled, gone or unsigned (``rep`` None) and it is dead-lettered unsent."""

    head: dict[str, Any]
    rep: Rep | None
    attempt: Attempt | None


class DeliveryOutcomes:
    """Records attempts; says when a rep's offers must move on (endpoint not healthy)."""

    def __init__(
        self,
        unit_of_work: Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]],
        writer: EventWriter,
        source: str,
        schedule: Sequence[timedelta],
        unhealthy_after: int,
        dead_letters: Counter,
    ) -> None:
        self.unit_of_work, self.writer, self.source = unit_of_work, writer, source
        self.schedule, self.unhealthy_after = tuple(schedule), unhealthy_after
        self.dead_letters = dead_letters

    async def record_all(self, tried: Sequence[Tried], now: datetime) -> list[str]:
        """Store a round's attempts and their events in one transaction, in order (a rep's
        status as each attempt leaves it); return the reps whose offers must move on."""
        moving: list[str] = []
        reps: dict[str, Rep] = {}
        async with self.unit_of_work() as outer, self.writer.buffered(outer.conn) as rows:
            await lock_log(outer.conn)  # first: rows read now are not changed before the commit
            # the events set their assignments' delivery state: read those rows together
            await rows.preload(
                assignments, ({"assignment_id": t.head["reference_id"]} for t in tried)
            )
            uow = _Pass(outer)
            for item in tried:
                rep_id = item.head["endpoint_id"]
                rep = reps.get(rep_id, item.rep)
                if rep is None or item.attempt is None:
                    error = "the rep's endpoint is disabled, gone or unsigned"
                    await self._dead_letter(uow, item.head, item.head["attempts"], error, now)
                    continue
                move_on, reps[rep_id] = await self._record(uow, item.head, rep, item.attempt, now)
                if move_on:
                    moving.append(rep_id)
            await uow.write_results()
            await outer.append_many(uow.events)  # the pass's events in one statement
        return moving

    async def _record(
        self, uow: _Pass, head: dict[str, Any], rep: Rep, attempt: Attempt, now: datetime
    ) -> tuple[bool, Rep]:
        """Store one attempt; whether the rep's offers must move on, and the rep after it."""
        if attempt.outcome == "delivered":
            return False, await self._delivered(uow, head, rep, attempt, now)
        error = f"{attempt.outcome}: {attempt.error}"
        if attempt.outcome == "gone":
            return True, await self._disable(uow, rep, head, error, now)
        return await self._failed(uow, head, rep, attempt, error, now)

    async def _delivered(
        self, uow: _Pass, head: dict[str, Any], rep: Rep, attempt: Attempt, now: datetime
    ) -> Rep:
        number = head["attempts"] + 1
        uow.record(
            head["message_id"],
            status=DELIVERED,
            attempts=number,
            last_status=attempt.status_code,
            last_error=None,
        )
        event = WebhookDelivered(
            **ids_of(head),
            url=rep.webhook_url or "",
            status_code=attempt.status_code or 200,
            attempt=number,
            duration_ms=attempt.duration * 1000,
        )
        await self._append(uow, head["subject_id"], event, now)
        if rep.webhook_status == "unhealthy":
            return await self._endpoint(uow, rep, "healthy", "a delivery succeeded", now)
        return rep

    async def _failed(
        self,
        uow: _Pass,
        head: dict[str, Any],
        rep: Rep,
        attempt: Attempt,
        error: str,
        now: datetime,
    ) -> tuple[bool, Rep]:
        number = head["attempts"] + 1
        retry_at = next_attempt_at(number, now, schedule=self.schedule)
        failed = WebhookDeliveryFailed(
            **ids_of(head),
            url=rep.webhook_url or "",
            error=error,
            attempt=number,
            status_code=attempt.status_code,
            next_attempt_at=retry_at,
        )
        await self._append(uow, head["subject_id"], failed, now)
        if retry_at is None:
            await self._dead_letter(uow, head, number, error, now)
        else:
            uow.record(
                head["message_id"],
                attempts=number,
                due=retry_at.timestamp(),
                last_error=error,
                last_status=attempt.status_code,
            )
        if number < self.unhealthy_after or rep.webhook_status != "healthy":
            return False, rep
        reason = f"{number} failed attempts: {error}"
        return True, await self._endpoint(uow, rep, "unhealthy", reason, now)

    async def _disable(
        self, uow: _Pass, rep: Rep, head: dict[str, Any], error: str, now: datetime
    ) -> Rep:
        """410 Gone: the endpoint is disabled and its queue dead-lettered."""
        disabled = await self._endpoint(uow, rep, "disabled", error, now)
        await uow.write_results()  # the pass's results so far: what is delivered is not pending
        for pending in await queue.pending_of(uow.conn, rep.rep_id):
            tries = pending["attempts"] + (pending["message_id"] == head["message_id"])
            await self._dead_letter(uow, pending, tries, error, now)
        return disabled

    async def _dead_letter(
        self, uow: _Pass, head: dict[str, Any], attempts: int, error: str, now: datetime
    ) -> None:
        uow.record(head["message_id"], status=DEAD, attempts=attempts, last_error=error)
        letter = WebhookDeadLettered(**ids_of(head), attempts=attempts, error=error)
        await self._append(uow, head["subject_id"], letter, now)
        self.dead_letters.inc()

    async def _endpoint(
        self, uow: _Pass, rep: Rep, status: EndpointStatus, reason: str, now: datetime
    ) -> Rep:
        """Record the endpoint's new status; the rep as it leaves it."""
        event = RepWebhookStatusChanged(
            rep_id=rep.rep_id, status=status, reason=reason, url=rep.webhook_url or ""
        )
        await self._append(uow, rep.rep_id, event, now)
        return replace(rep, webhook_status=status)

    async def _append(self, uow: _Pass, stream_id: str, event: Event, now: datetime) -> None:
        envelope = new_envelope(event, subject=stream_id, source=self.source, now=now)
        uow.events.append((stream_id, [envelope]))


@dataclass
class _Pass:
    """A pass's unit of work, with the events it records kept to be appended together at
    its end (nothing in the pass reads them back) and the queue rows' results written
    together (before the pass reads the queue, and at its end)."""

    uow: SqlUnitOfWork
    events: list[tuple[str, Sequence[Envelope]]] = field(default_factory=list)
    results: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def conn(self) -> AsyncConnection:
        return self.uow.conn

    def record(self, message_id: str, **values: Any) -> None:
        """Keep a message's result for the queue, written with the pass's others."""
        self.results.append((message_id, values))

    async def write_results(self) -> None:
        """Write the results kept so far to the queue."""
        await queue.record_all(self.conn, self.results)
        self.results.clear()


def ids_of(head: dict[str, Any]) -> dict[str, Any]:
    """A queued message's ids as the delivery events name them (rep, lead, assignment)."""
    return {
        "lead_id": head["subject_id"],
        "assignment_id": head["reference_id"],
        "rep_id": head["endpoint_id"],
        "message_id": head["message_id"],
        "kind": head["kind"],
    }
