"""A won deal makes the lead's person a customer, in intake's own log."""

from __future__ import annotations

from datetime import datetime

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadConverted
from conveyor.events.store import ANY_VERSION
from conveyor.intake.service_layer.qualifying import received_of
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


async def record_conversion(
    lead_id: str, won_at: datetime, uow: AbstractUnitOfWork, *, caused_by: Envelope
) -> bool:
    """Append LeadConverted to a lead intake knows (once); False for another's lead."""
    async with uow:
        history = await uow.read(lead_id)
        if not history:
            return False  # not a lead intake received (another installation's, say)
        received_of(history, lead_id)
        if any(isinstance(e.data, LeadConverted) for e in history):
            return False
        event = LeadConverted(lead_id=lead_id, won_at=won_at)
        envelope = new_envelope(event, subject=lead_id, source=uow.source, caused_by=caused_by)
        await uow.append(lead_id, [envelope], expected_version=ANY_VERSION)
        await uow.commit()
    return True
