"""The ``leads`` read model, fed by intake's own events in the transaction that appends them."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.catalogue.intake import (
    LeadConverted,
    LeadDisqualified,
    LeadDuplicateDetected,
    LeadNurtured,
    LeadQualified,
    LeadReceived,
    Temperature,
)
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.codec import format_time
from conveyor.events.model import EventView
from conveyor.events.projection import Projection, RowProjection
from conveyor.events.rows import Rows
from conveyor.intake.adapters.tables import leads


class LeadQualifiedView(EventView):
    """What the leads read of a target verdict (a rebuild leaves out the lead, which the
    LeadReceived before it gave)."""

    of = LeadQualified
    lead_id: str
    score: int
    temperature: Temperature
    reasons: tuple[str, ...] = ()
    checklist_version: int | None = None
    lead_type: str | None = None
    qualified_by: str = "checklist"


class LeadStatusProjection(RowProjection):
    """One row per lead with its contact, status, score and temperature; one per touch."""

    tables: Sequence[Table] = (leads,)
    handles: frozenset[str] = frozenset(
        {
            LeadReceived.event_type,
            LeadQualified.event_type,
            LeadNurtured.event_type,
            LeadDisqualified.event_type,
            LeadDuplicateDetected.event_type,
            LeadConverted.event_type,
        }
    )
    reads = (LeadQualifiedView,)

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Insert the row on LeadReceived; record the verdict; count and list the touches."""
        data, position = recorded.envelope.data, recorded.position
        if isinstance(data, LeadReceived):
            row = snapshot_row(data.lead, format_time(data.received_at), position)
            await rows.insert(leads, {"previous_lead_id": data.previous_lead_id, **row})
        elif isinstance(data, LeadQualified | LeadQualifiedView | LeadNurtured | LeadDisqualified):
            await _update(rows, data.lead_id, position=position, **verdict_row(data))
        elif isinstance(data, LeadDuplicateDetected):
            await _touched(rows, data, recorded)
        elif isinstance(data, LeadConverted):
            await _update(rows, data.lead_id, won_at=format_time(data.won_at), position=position)

    async def apply_all(self, recorded: Sequence[Recorded], conn: AsyncConnection) -> None:
        """Apply events appended together; a new lead's LeadReceived and verdict make one row
        in one INSERT (the row apply gives, event by event)."""
        if len(recorded) == 2 and isinstance(received := recorded[0].envelope.data, LeadReceived):
            verdict = recorded[1].envelope.data
            if isinstance(verdict, LeadQualified | LeadNurtured | LeadDisqualified):
                row = snapshot_row(
                    received.lead, format_time(received.received_at), recorded[1].position
                )
                row |= verdict_row(verdict) | {"previous_lead_id": received.previous_lead_id}
                await conn.execute(_INSERT_LEAD, row)
                return
        for item in recorded:
            await self.apply(item, conn)


async def project_all(
    recorded: Sequence[Recorded], projections: Sequence[Projection], conn: AsyncConnection
) -> None:
    """Apply events appended together to every projection that handles them; one that can
    fold several at once (``apply_all``) gets them together."""
    for projection in projections:
        handled = [item for item in recorded if item.envelope.type in projection.handles]
        if handled and isinstance(projection, LeadStatusProjection):
            await projection.apply_all(handled, conn)
        else:
            for item in handled:
                await projection.apply(item, conn)


async def _touched(rows: Rows, event: LeadDuplicateDetected, recorded: Recorded) -> None:
    """Count the touch on the lead and keep a row for the touch's own id."""
    where = {"lead_id": event.lead_id}
    await rows.update(leads, where, {"position": recorded.position}, add={"touches": 1})
    if event.touch is not None:
        when = event.received_at or recorded.envelope.time
        row = snapshot_row(event.touch, format_time(when), recorded.position)
        row |= {"status": "duplicate", "duplicate_of": event.duplicate_of, "email_key": None}
        await rows.insert(leads, row)


_INSERT_LEAD = insert(leads)

STATUS = {
    LeadQualified.event_type: "qualified",
    LeadNurtured.event_type: "nurtured",
    LeadDisqualified.event_type: "disqualified",
}


def verdict_row(
    event: LeadQualified | LeadQualifiedView | LeadNurtured | LeadDisqualified,
) -> dict[str, object]:
    """The columns a verdict sets: status, score, temperature, type, version, reasons, by."""
    recheck = event.recheck_after if isinstance(event, LeadNurtured) else None
    return {
        "status": STATUS[event.event_type],
        "score": event.score,
        "temperature": event.temperature,
        "lead_type": event.lead_type,
        "checklist_version": event.checklist_version,
        "reasons": json.dumps(list(event.reasons)),
        "recheck_after": None if recheck is None else format_time(recheck),
        "qualified_by": event.qualified_by,
    }


async def _update(rows: Rows, lead_id: str, **values: object) -> None:
    await rows.update(leads, {"lead_id": lead_id}, values)


def snapshot_row(lead: LeadSnapshot, received_at: str, position: int) -> dict[str, object]:
    """The row of a lead (or a touch) as its snapshot describes it."""
    contact = lead.contact
    return {
        "lead_id": lead.lead_id,
        "source": lead.source,
        "channel": lead.channel,
        "name": contact.name,
        "email": contact.email,
        "email_key": contact.email.casefold() if contact.email else None,
        "phone": contact.phone,
        "company": contact.company,
        "status": "received",
        "received_at": received_at,
        "position": position,
    }
