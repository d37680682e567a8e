"""A nurtured lead's second look, when followup says its recheck date has come."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import (
    LeadNurtured,
    LeadReceived,
    LeadRequalificationRequested,
)
from conveyor.intake.domain.checklist import facts_of
from conveyor.intake.domain.qualification import Verdict, qualify
from conveyor.intake.service_layer.qualifying import (
    VERDICTS,
    current_checklist,
    history_of,
    received_of,
    verdict_event,
)
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


async def requalify(
    lead_id: str,
    uow: AbstractUnitOfWork,
    *,
    requested_by: str,
    today: date,
    caused_by: Envelope | None = None,
) -> Verdict | None:
    """Qualify a nurtured lead again by the checklist in force; record the request and the
    new verdict. A lead no longer nurtured (decided since by hand, say) is left alone."""
    async with uow:
        history = await uow.read(lead_id)
        received = received_of(history, lead_id)
        if not isinstance(last_verdict(history), LeadNurtured):
            return None
        request = new_envelope(
            LeadRequalificationRequested(lead_id=lead_id, requested_by=requested_by),
            subject=lead_id,
            source=uow.source,
            caused_by=caused_by or received,
        )
        assert isinstance(received.data, LeadReceived)
        checklist = await current_checklist(uow)
        facts = facts_of(received.data.lead.model_dump())
        verdict = qualify(checklist, facts, history_of(history), today)
        judged = verdict_event(received.data.lead, verdict, by="checklist", caused_by=request)
        await uow.append(lead_id, [request, judged], expected_version=len(history))
        await uow.commit()
    return verdict


def last_verdict(history: Sequence[Envelope]) -> object | None:
    """The newest verdict event of a lead's stream."""
    verdicts = [e.data for e in history if isinstance(e.data, VERDICTS)]
    return verdicts[-1] if verdicts else None
