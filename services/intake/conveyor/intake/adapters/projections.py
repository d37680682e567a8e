"""The ``leads`` read model, fed by intake's own events in the transaction that appends them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived
from conveyor.events.codec import format_time
from conveyor.intake.adapters.tables import leads


class LeadStatusProjection:
    """Keeps one row per lead with its contact, status, score and temperature."""

    tables: Sequence[Table] = (leads,)
    handles: frozenset[str] = frozenset({LeadReceived.event_type, LeadQualified.event_type})

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Insert the row on LeadReceived; record the verdict on LeadQualified."""
        data = recorded.envelope.data
        if isinstance(data, LeadReceived):
            await conn.execute(insert(leads).values(**_received_row(data, recorded.position)))
        elif isinstance(data, LeadQualified):
            await conn.execute(
                update(leads)
                .where(leads.c.lead_id == data.lead_id)
                .values(
                    status="qualified",
                    score=data.score,
                    temperature=data.temperature,
                    position=recorded.position,
                )
            )


def _received_row(event: LeadReceived, position: int) -> dict[str, object]:
    contact = event.lead.contact
    return {
        "lead_id": event.lead_id,
        "source": event.lead.source,
        "channel": event.lead.channel,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "company": contact.company,
        "status": "received",
        "received_at": format_time(event.received_at),
        "position": position,
    }
