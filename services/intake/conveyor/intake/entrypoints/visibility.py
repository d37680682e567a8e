"""What a caller may see of leads that are not its own."""

from __future__ import annotations

from conveyor.intake.bootstrap import IntakeService
from conveyor.intake.service_layer.access import Caller


async def visible_lead(service: IntakeService, caller: Caller, lead_id: str | None) -> str | None:
    """The lead id if the caller may see that lead (its own source's, or the admin), else None.

    A touch on another source's lead still says "duplicate", but never names that lead.
    """
    if lead_id is None or caller.is_admin:
        return lead_id
    row = await service.lead_status(lead_id)
    return lead_id if row is not None and row["source"] == caller.source_id else None
