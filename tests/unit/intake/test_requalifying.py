"""A nurtured lead comes back for a second look under the checklist in force."""

from datetime import date

import pytest

from conveyor.events.catalogue.intake import (
    LeadNurtured,
    LeadQualified,
    LeadRequalificationRequested,
)
from conveyor.intake.domain.lead import Contact
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import receive_lead
from conveyor.intake.service_layer.qualifying import (
    QualifyByHand,
    UnknownLead,
    publish_checklist,
    qualify_by_hand,
)
from conveyor.intake.service_layer.requalifying import requalify

from .fakes import FakeUnitOfWork

TODAY = date(2026, 11, 22)
PHONE_ONLY = ReceiveLead(contact=Contact("Bo", phone="+442079460000"))
LENIENT = {
    "signals": [{"field": "contact.phone", "op": "present", "reason": "phone", "weight": 30}],
    "target_from": 30,
}


async def test_a_nurtured_lead_is_requalified_by_the_newest_checklist() -> None:
    uow = FakeUnitOfWork()
    lead_id = (await receive_lead(PHONE_ONLY, uow)).lead_id
    assert isinstance(uow.streams[lead_id][-1].data, LeadNurtured)
    await publish_checklist(LENIENT, uow)
    verdict = await requalify(lead_id, uow, requested_by="followup", today=TODAY)
    assert verdict is not None and verdict.outcome == "target"
    request, judged = uow.streams[lead_id][-2:]
    assert isinstance(request.data, LeadRequalificationRequested)
    assert request.data.requested_by == "followup"
    assert isinstance(judged.data, LeadQualified)
    assert judged.data.checklist_version == 2
    assert judged.causation_id == request.id


async def test_a_lead_decided_since_is_left_alone() -> None:
    uow = FakeUnitOfWork()
    lead_id = (await receive_lead(PHONE_ONLY, uow)).lead_id
    await qualify_by_hand(QualifyByHand(lead_id, "ann", outcome="reject"), uow, today=TODAY)
    before = list(uow.streams[lead_id])
    assert await requalify(lead_id, uow, requested_by="followup", today=TODAY) is None
    assert uow.streams[lead_id] == before


async def test_an_unknown_lead_cannot_be_requalified() -> None:
    with pytest.raises(UnknownLead):
        await requalify("nope", FakeUnitOfWork(), requested_by="followup", today=TODAY)
