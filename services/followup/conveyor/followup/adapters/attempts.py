"""What a task webhook attempt leaves behind: the queue row updated and its events on the
account's stream (delivered, failed, dead-lettered), or the farmer's endpoint disabled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.followup import (
    FarmerWebhookChanged,
    TaskWebhookDeadLettered,
    TaskWebhookDelivered,
    TaskWebhookFailed,
)
from conveyor.events.runtime import Runtime
from conveyor.events.store import ANY_VERSION
from conveyor.followup.adapters.tables import webhook_queue as queue
from conveyor.followup.service_layer.ports import Clock
from conveyor.followup.service_layer.streams import farmer_stream
from conveyor.webhooks.schedule import next_attempt_at
from conveyor.webhooks.sender import Attempt
from conveyor.webhooks.store import DEAD, DELIVERED

Tried = tuple[dict[str, Any], str, Attempt | None]
"""A queued message, the URL it went to and the attempt (None: not sent, its farmer's
endpoint is disabled, gone or unsigned, so it is dead-lettered)."""


@dataclass
class Attempts:
    """Records a round's attempts in one transaction, then wakes the relay (events stamped by
    the service's clock, retries timed by the wall clock)."""

    runtime: Runtime
    clock: Clock
    wall: Clock
    schedule: Sequence[timedelta]
    dead_letters: Counter

    async def record_all(self, tried: Sequence[Tried]) -> None:
        """Store a round's attempts and their events in one transaction, in order."""
        async with self.runtime.engine.begin() as conn:
            for head, url, attempt in tried:
                if attempt is None:
                    error = "the farmer's endpoint is disabled, gone or unsigned"
                    await self._dead_letter(conn, head, head["attempts"], error)
                elif attempt.outcome == "delivered":
                    await self._delivered(conn, head, url, attempt)
                elif attempt.outcome == "gone":
                    await self._disable(conn, head, url, attempt)
                else:
                    await self._failed(conn, head, url, attempt)
        self.runtime.committed()

    async def _delivered(
        self, conn: AsyncConnection, head: dict[str, Any], url: str, attempt: Attempt
    ) -> None:
        number = head["attempts"] + 1
        await queue.record(
            conn,
            head["message_id"],
            status=DELIVERED,
            attempts=number,
            last_status=attempt.status_code,
            last_error=None,
        )
        delivered = TaskWebhookDelivered(
            **_ids(head),
            url=url,
            status_code=attempt.status_code or 200,
            attempt=number,
            duration_ms=attempt.duration * 1000,
        )
        await self._append(conn, head["subject_id"], [delivered])

    async def _failed(
        self, conn: AsyncConnection, head: dict[str, Any], url: str, attempt: Attempt
    ) -> None:
        number, error = head["attempts"] + 1, f"{attempt.outcome}: {attempt.error}"
        retry_at = next_attempt_at(number, self.wall.now(), schedule=tuple(self.schedule))
        failed = TaskWebhookFailed(
            **_ids(head),
            url=url,
            error=error,
            attempt=number,
            status_code=attempt.status_code,
            next_attempt_at=retry_at,
        )
        await self._append(conn, head["subject_id"], [failed])
        if retry_at is None:
            await self._dead_letter(conn, head, number, error)
            return
        await queue.record(
            conn,
            head["message_id"],
            attempts=number,
            due=retry_at.timestamp(),
            last_error=error,
            last_status=attempt.status_code,
        )

    async def _disable(
        self, conn: AsyncConnection, head: dict[str, Any], url: str, attempt: Attempt
    ) -> None:
        """410 Gone: the endpoint is disabled and its queue dead-lettered."""
        error = f"gone: {attempt.error}"
        farmer_id = head["endpoint_id"]
        disabled = FarmerWebhookChanged(
            farmer_id=farmer_id, webhook_url=url, status="disabled", reason=error
        )
        await self._append(conn, farmer_stream(farmer_id), [disabled])
        for pending in await queue.pending_of(conn, farmer_id):
            mine = pending["message_id"] == head["message_id"]
            await self._dead_letter(conn, pending, pending["attempts"] + int(mine), error)

    async def _dead_letter(
        self, conn: AsyncConnection, head: dict[str, Any], attempts: int, error: str
    ) -> None:
        await queue.record(
            conn, head["message_id"], status=DEAD, attempts=attempts, last_error=error
        )
        letter = TaskWebhookDeadLettered(**_ids(head), attempts=attempts, error=error)
        await self._append(conn, head["subject_id"], [letter])
        self.dead_letters.inc()

    async def _append(self, conn: AsyncConnection, stream_id: str, events: Sequence[Event]) -> None:
        now: datetime = self.clock.now()
        source = self.runtime.source
        envelopes = [new_envelope(e, subject=stream_id, source=source, now=now) for e in events]
        await self.runtime.writer.append(conn, stream_id, envelopes, expected_version=ANY_VERSION)


def _ids(head: dict[str, Any]) -> dict[str, Any]:
    """A queued message's ids as the delivery events name them."""
    return {
        "account_id": head["subject_id"],
        "task_id": head["reference_id"],
        "farmer_id": head["endpoint_id"],
        "message_id": head["message_id"],
        "kind": head["kind"],
    }
