"""The router's read models, fed by its own events only (so they can be rebuilt)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.catalogue.delivery import (
    LeadContacted,
    LeadMeetingSet,
    WebhookDeadLettered,
)
from conveyor.events.catalogue.router import (
    DealLost,
    DealWon,
    LeadAccepted,
    LeadAssigned,
    LeadDeclined,
    LeadReassigned,
    LeadUnroutable,
    RepAvailabilityChanged,
    RepRegistered,
    RepUpdated,
    WebhookDelivered,
    WebhookDeliveryFailed,
)
from conveyor.events.codec import format_time
from conveyor.router.adapters.tables import assignments, pools, reps, unroutable


class RepsProjection:
    """Reps with their current settings and availability."""

    tables = (reps,)
    handles = frozenset(
        {
            RepRegistered.event_type,
            RepUpdated.event_type,
            RepAvailabilityChanged.event_type,
        }
    )

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Insert or change the rep."""
        data = recorded.envelope.data
        if isinstance(data, RepRegistered):
            await conn.execute(insert(reps).values(**_rep_row(data.model_dump())))
        elif isinstance(data, RepUpdated):
            await self._update(conn, data)
        elif isinstance(data, RepAvailabilityChanged):
            query = update(reps).where(reps.c.rep_id == data.rep_id)
            await conn.execute(query.values(available=data.available))

    async def _update(self, conn: AsyncConnection, data: RepUpdated) -> None:
        query = select(reps.c.settings).where(reps.c.rep_id == data.rep_id)
        settings = json.loads((await conn.execute(query)).scalar() or "{}")
        changes = dict(data.changes)
        settings.update(changes.pop("settings", {}))
        row = _rep_row({**changes, "settings": settings})
        await conn.execute(update(reps).where(reps.c.rep_id == data.rep_id).values(**row))


def _rep_row(fields: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in fields.items() if k in reps.c and k != "settings"}
    if "pools" in row:
        row["pools"] = ",".join(row["pools"])
    if "settings" in fields:
        row["settings"] = json.dumps(fields["settings"], sort_keys=True)
    return row


class AssignmentsProjection:
    """Assignments with their delivery and outcome, the pools' rotation, unroutable leads."""

    tables = (assignments, pools, unroutable)
    handles = frozenset(
        {
            LeadAssigned.event_type,
            LeadUnroutable.event_type,
            WebhookDelivered.event_type,
            WebhookDeliveryFailed.event_type,
            WebhookDeadLettered.event_type,
            DealWon.event_type,
            DealLost.event_type,
            LeadAccepted.event_type,
            LeadDeclined.event_type,
            LeadReassigned.event_type,
            LeadContacted.event_type,
            LeadMeetingSet.event_type,
        }
    )

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Dispatch on the event's type."""
        data, at = recorded.envelope.data, format_time(recorded.envelope.time)
        if (change := _status_change(data, at)) is not None:
            await _set(conn, *change)
        elif isinstance(data, LeadAssigned):
            await conn.execute(delete(unroutable).where(unroutable.c.lead_id == data.lead_id))
            await self._assigned(data, at, conn)
        elif isinstance(data, LeadUnroutable):
            await conn.execute(
                insert(unroutable).values(lead_id=data.lead_id, reason=data.reason, at=at)
            )
        elif (
            isinstance(data, WebhookDelivered | WebhookDeliveryFailed | WebhookDeadLettered)
            and data.kind == "lead.assigned"
        ):
            await _set(conn, data.assignment_id, {"delivery": _DELIVERY[type(data)]})

    async def _assigned(self, data: LeadAssigned, at: str, conn: AsyncConnection) -> None:
        await conn.execute(
            insert(assignments).values(
                assignment_id=data.assignment_id,
                lead_id=data.lead_id,
                rep_id=data.rep_id,
                pool=data.pool,
                rule=data.rule,
                explanation=data.explanation,
                status="offered",
                delivery="pending",
                assigned_at=at,
            )
        )
        await _advance_rotation(conn, data.pool, data.rotation + 1)


_DELIVERY: dict[type, str] = {
    WebhookDelivered: "delivered",
    WebhookDeliveryFailed: "failed",
    WebhookDeadLettered: "dead",
}


def _status_change(data: Any, at: str) -> tuple[str, dict[str, str]] | None:
    """The assignment's new status (and what comes with it) for an outcome event."""
    if isinstance(data, LeadAccepted):
        return data.assignment_id, {"status": "accepted", "accepted_at": at}
    if isinstance(data, LeadContacted | LeadMeetingSet):
        status = "contacted" if isinstance(data, LeadContacted) else "meeting_set"
        return data.assignment_id, {"status": status}
    if isinstance(data, LeadDeclined | DealLost):
        status = "declined" if isinstance(data, LeadDeclined) else "lost"
        return data.assignment_id, {"status": status, "outcome_reason": data.reason}
    if isinstance(data, LeadReassigned) and data.assignment_id:
        return data.assignment_id, {"status": "withdrawn", "outcome_reason": data.reason}
    if isinstance(data, DealWon):
        won = {"status": "won", "amount": str(data.amount), "currency": data.currency}
        return data.assignment_id, won
    return None


async def _set(conn: AsyncConnection, assignment_id: str, values: dict[str, str]) -> None:
    await conn.execute(
        update(assignments).where(assignments.c.assignment_id == assignment_id).values(values)
    )


async def _advance_rotation(conn: AsyncConnection, pool: str, rotation: int) -> None:
    current = (await conn.execute(select(pools.c.rotation).where(pools.c.pool == pool))).scalar()
    if current is None:
        await conn.execute(insert(pools).values(pool=pool, rotation=rotation))
    elif rotation > current:
        await conn.execute(update(pools).where(pools.c.pool == pool).values(rotation=rotation))
