"""Timers as a read model of followup's log, and the query the scheduler runs over it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.projection import RowProjection
from conveyor.events.rows import Rows
from conveyor.followup.adapters.tables import timers
from conveyor.followup.domain.timers import Timer
from conveyor.followup.service_layer.ports import TimerStore
from conveyor.followup.service_layer.timers import (
    ENDING_TYPES,
    STARTING_TYPES,
    timers_ended_by,
    timers_started_by,
)

PENDING, ENDED = "pending", "ended"
MOMENT = "%Y-%m-%dT%H:%M:%SZ"
# a payload's JSON, keys sorted (one encoder: json.dumps makes a new one per call when
# given any option)
_payload_json = json.JSONEncoder(sort_keys=True).encode


@lru_cache(maxsize=4096)
def moment_text(moment: datetime) -> str:
    """A moment as sortable UTC text, to the second (``MOMENT``; isoformat, not strftime,
    and remembered: a rebuild writes one per timer, and timers fall on few moments)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


class TimersProjection(RowProjection):
    """Pending and ended timers: started and ended by events, so they rebuild from the log."""

    tables: Sequence[Table] = (timers,)
    handles: frozenset[str] = STARTING_TYPES | ENDING_TYPES

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Start the timers an event starts; end the ones it ends."""
        if recorded.envelope.type in STARTING_TYPES:
            payloads: dict[int, str] = {}  # the timers an event starts may share a payload
            for timer in timers_started_by(recorded):
                key = id(timer.payload)
                if key not in payloads:
                    payloads[key] = _payload_json(timer.payload)
                # every column: a pending timer is replaced
                await rows.put(timers, _row(timer, payloads[key]))
        if recorded.envelope.type in ENDING_TYPES:
            ended = timers_ended_by(recorded.envelope.data)
            where = {"timer_id": tuple(ended), "status": PENDING}
            await rows.update(timers, where, {"status": ENDED})


class SqlTimerStore(TimerStore):
    """Reads the timers read model in the caller's transaction."""

    async def due(self, conn: AsyncConnection, now: datetime, *, limit: int) -> list[Timer]:
        """Pending timers due at or before now, earliest first."""
        query = (
            select(timers)
            .where(timers.c.status == PENDING, timers.c.due_at <= moment_text(now))
            .order_by(timers.c.due_at, timers.c.timer_id)
            .limit(limit)
        )
        return [_timer(row) for row in await conn.execute(query)]

    async def is_pending(self, conn: AsyncConnection, timer_id: str) -> bool:
        """Whether the timer exists and has not been ended."""
        query = select(timers.c.status).where(timers.c.timer_id == timer_id)
        return (await conn.execute(query)).scalar() == PENDING


def _row(timer: Timer, payload: str) -> dict[str, object]:
    return {
        "timer_id": timer.timer_id,
        "kind": timer.kind,
        "stream_id": timer.stream_id,
        "due_at": moment_text(timer.due_at),
        "payload": payload,
        "status": PENDING,
        "correlation_id": timer.correlation_id,
        "causation_id": timer.causation_id,
    }


def _timer(row: Row[Any]) -> Timer:
    return Timer(
        timer_id=row.timer_id,
        kind=row.kind,
        stream_id=row.stream_id,
        due_at=datetime.strptime(row.due_at, MOMENT).replace(tzinfo=UTC),
        payload=json.loads(row.payload),
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
    )
