"""What a webhook attempt comes to, recorded in one transaction: the queue row and the
events (delivered, failed with the next attempt's time, dead-lettered), and the rep's
endpoint turning unhealthy, healthy again or disabled (410 Gone)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.delivery import (
    EndpointStatus,
    RepWebhookStatusChanged,
    WebhookDeadLettered,
)
from conveyor.events.catalogue.router import WebhookDelivered, WebhookDeliveryFailed
from conveyor.events.store import ANY_VERSION
from conveyor.router.adapters.tables import webhook_queue as queue
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.domain.reps import Rep
from conveyor.webhooks.schedule import next_attempt_at
from conveyor.webhooks.sender import Attempt
from conveyor.webhooks.store import DEAD, DELIVERED


class DeliveryOutcomes:
    """Records attempts; says when a rep's offers must move on (endpoint not healthy)."""

    def __init__(
        self,
        unit_of_work: Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]],
        source: str,
        schedule: Sequence[timedelta],
        unhealthy_after: int,
        dead_letters: Counter,
    ) -> None:
        self.unit_of_work, self.source = unit_of_work, source
        self.schedule, self.unhealthy_after = tuple(schedule), unhealthy_after
        self.dead_letters = dead_letters

    async def record(self, head: dict[str, Any], rep: Rep, attempt: Attempt, now: datetime) -> bool:
        """Store the attempt and its events; True when the rep's offers must move on."""
        async with self.unit_of_work() as uow:
            if attempt.outcome == "delivered":
                await self._delivered(uow, head, rep, attempt, now)
                return False
            error = f"{attempt.outcome}: {attempt.error}"
            if attempt.outcome == "gone":
                await self._disable(uow, rep, head, error, now)
                return True
            return await self._failed(uow, head, rep, attempt, error, now)

    async def dead(self, head: dict[str, Any], error: str, now: datetime) -> None:
        """Dead-letter a message without an attempt (its endpoint is disabled or gone)."""
        async with self.unit_of_work() as uow:
            await self._dead_letter(uow, head, head["attempts"], error, now)

    async def _delivered(
        self, uow: SqlUnitOfWork, head: dict[str, Any], rep: Rep, attempt: Attempt, now: datetime
    ) -> None:
        number = head["attempts"] + 1
        await queue.record(
            uow.conn,
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
            await self._endpoint(uow, rep, "healthy", "a delivery succeeded", now)

    async def _failed(
        self,
        uow: SqlUnitOfWork,
        head: dict[str, Any],
        rep: Rep,
        attempt: Attempt,
        error: str,
        now: datetime,
    ) -> bool:
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
            await queue.record(
                uow.conn,
                head["message_id"],
                attempts=number,
                due=retry_at.timestamp(),
                last_error=error,
                last_status=attempt.status_code,
            )
        if number < self.unhealthy_after or rep.webhook_status != "healthy":
            return False
        await self._endpoint(uow, rep, "unhealthy", f"{number} failed attempts: {error}", now)
        return True

    async def _disable(
        self, uow: SqlUnitOfWork, rep: Rep, head: dict[str, Any], error: str, now: datetime
    ) -> None:
        """410 Gone: the endpoint is disabled and its queue dead-lettered."""
        await self._endpoint(uow, rep, "disabled", error, now)
        for pending in await queue.pending_of(uow.conn, rep.rep_id):
            tries = pending["attempts"] + (pending["message_id"] == head["message_id"])
            await self._dead_letter(uow, pending, tries, error, now)

    async def _dead_letter(
        self, uow: SqlUnitOfWork, head: dict[str, Any], attempts: int, error: str, now: datetime
    ) -> None:
        await queue.record(
            uow.conn, head["message_id"], status=DEAD, attempts=attempts, last_error=error
        )
        letter = WebhookDeadLettered(**ids_of(head), attempts=attempts, error=error)
        await self._append(uow, head["subject_id"], letter, now)
        self.dead_letters.inc()

    async def _endpoint(
        self, uow: SqlUnitOfWork, rep: Rep, status: EndpointStatus, reason: str, now: datetime
    ) -> None:
        event = RepWebhookStatusChanged(
            rep_id=rep.rep_id, status=status, reason=reason, url=rep.webhook_url or ""
        )
        await self._append(uow, rep.rep_id, event, now)

    async def _append(
        self, uow: SqlUnitOfWork, stream_id: str, event: Event, now: datetime
    ) -> None:
        envelope = new_envelope(event, subject=stream_id, source=self.source, now=now)
        await uow.append(stream_id, [envelope], expected_version=ANY_VERSION)


def ids_of(head: dict[str, Any]) -> dict[str, Any]:
    """A queued message's ids as the delivery events name them (rep, lead, assignment)."""
    return {
        "lead_id": head["subject_id"],
        "assignment_id": head["reference_id"],
        "rep_id": head["endpoint_id"],
        "message_id": head["message_id"],
        "kind": head["kind"],
    }
