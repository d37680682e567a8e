"""The router's read models, fed by its own events only (so they can be rebuilt)."""

from __future__ import annotations

import json
from typing import Any

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
from conveyor.events.model import EventView
from conveyor.events.projection import RowProjection
from conveyor.events.rows import Rows
from conveyor.router.adapters.tables import assignments, pools, reps, unroutable


class RepsProjection(RowProjection):
    """Reps with their current settings and availability."""

    tables = (reps,)
    handles = frozenset(
        {
            RepRegistered.event_type,
            RepUpdated.event_type,
            RepAvailabilityChanged.event_type,
        }
    )

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Insert or change the rep."""
        data = recorded.envelope.data
        if isinstance(data, RepRegistered):
            await rows.insert(reps, _rep_row(data.model_dump()))
        elif isinstance(data, RepUpdated):
            await self._update(rows, data)
        elif isinstance(data, RepAvailabilityChanged):
            await rows.update(reps, {"rep_id": data.rep_id}, {"available": data.available})

    async def _update(self, rows: Rows, data: RepUpdated) -> None:
        where = {"rep_id": data.rep_id}
        current = await rows.get(reps, where)
        settings = json.loads((current or {}).get("settings") or "{}")
        changes = dict(data.changes)
        settings.update(changes.pop("settings", {}))
        await rows.update(reps, where, _rep_row({**changes, "settings": settings}))


def _rep_row(fields: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in fields.items() if k in reps.c and k != "settings"}
    if "pools" in row:
        row["pools"] = ",".join(row["pools"])
    if "settings" in fields:
        row["settings"] = json.dumps(fields["settings"], sort_keys=True)
    return row


class LeadAssignedView(EventView):
    """What the assignments read of an offer (a rebuild leaves out the lead and the whole
    decision, most of the event)."""

    of = LeadAssigned
    lead_id: str
    assignment_id: str
    rep_id: str
    pool: str
    rule: str
    explanation: str
    rotation: int


class AssignmentsProjection(RowProjection):
    """Assignments with their delivery and outcome, the pools' rotation, unroutable leads."""

    tables = (assignments, pools, unroutable)
    reads = (LeadAssignedView,)
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

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Dispatch on the event's type."""
        data, at = recorded.envelope.data, format_time(recorded.envelope.time)
        if (change := _status_change(data, at)) is not None:
            await _set(rows, *change)
        elif isinstance(data, LeadAssigned | LeadAssignedView):
            await rows.delete(unroutable, {"lead_id": data.lead_id})
            await self._assigned(data, at, rows)
        elif isinstance(data, LeadUnroutable):
            row = {"lead_id": data.lead_id, "reason": data.reason, "at": at}
            await rows.insert(unroutable, row)
        elif (
            isinstance(data, WebhookDelivered | WebhookDeliveryFailed | WebhookDeadLettered)
            and data.kind == "lead.assigned"
        ):
            await _set(rows, data.assignment_id, {"delivery": _DELIVERY[type(data)]})

    async def _assigned(self, data: LeadAssigned | LeadAssignedView, at: str, rows: Rows) -> None:
        row = {
            "assignment_id": data.assignment_id,
            "lead_id": data.lead_id,
            "rep_id": data.rep_id,
            "pool": data.pool,
            "rule": data.rule,
            "explanation": data.explanation,
            "status": "offered",
            "delivery": "pending",
            "assigned_at": at,
        }
        await rows.insert(assignments, row)
        await _advance_rotation(rows, data.pool, data.rotation + 1)


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


async def _set(rows: Rows, assignment_id: str, values: dict[str, str]) -> None:
    await rows.update(assignments, {"assignment_id": assignment_id}, values)


async def _advance_rotation(rows: Rows, pool: str, rotation: int) -> None:
    current = await rows.get(pools, {"pool": pool})
    if current is None:
        await rows.insert(pools, {"pool": pool, "rotation": rotation})
    elif rotation > current["rotation"]:
        await rows.update(pools, {"pool": pool}, {"rotation": rotation})
