"""Checklist versions are events; every verdict names the version that made it."""

from datetime import date

import pytest

from conveyor.events.catalogue.intake import (
    LeadNurtured,
    LeadQualified,
    QualificationChecklistPublished,
)
from conveyor.intake.domain.lead import Contact
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import receive_lead
from conveyor.intake.service_layer.qualifying import (
    CHECKLIST_STREAM,
    QualifyByHand,
    UnknownLead,
    publish_checklist,
    qualify_by_hand,
)

from .fakes import FakeUnitOfWork

ADA = Contact("Ada Lovelace", email="ada@example.com")
PICKY = {
    "signals": [{"field": "contact.phone", "op": "present", "reason": "phone", "weight": 50}],
    "target_from": 50,
    "nurture_from": 0,
}


async def test_the_first_lead_publishes_the_default_checklist_as_version_one() -> None:
    uow = FakeUnitOfWork()
    receipt = await receive_lead(ReceiveLead(contact=ADA), uow)
    [published] = uow.streams[CHECKLIST_STREAM]
    assert isinstance(published.data, QualificationChecklistPublished)
    assert published.data.version == 1
    verdict = uow.streams[receipt.lead_id][1].data
    assert isinstance(verdict, LeadQualified) and verdict.checklist_version == 1


async def test_a_published_version_is_the_next_number_and_decides_the_next_lead() -> None:
    uow = FakeUnitOfWork()
    await receive_lead(ReceiveLead(contact=ADA), uow)
    assert await publish_checklist(PICKY, uow) == 2
    receipt = await receive_lead(ReceiveLead(contact=Contact("Bo", email="bo@x.org")), uow)
    verdict = uow.streams[receipt.lead_id][1].data
    assert isinstance(verdict, LeadNurtured)
    assert verdict.checklist_version == 2
    assert verdict.recheck_after is not None


async def test_an_operators_verdict_is_appended_and_names_the_operator() -> None:
    uow = FakeUnitOfWork()
    receipt = await receive_lead(ReceiveLead(contact=ADA), uow)
    cmd = QualifyByHand(receipt.lead_id, "ann", outcome="nurture", note="call in March")
    verdict = await qualify_by_hand(cmd, uow, today=date(2026, 11, 22))
    event = uow.streams[receipt.lead_id][-1].data
    assert isinstance(event, LeadNurtured)
    assert (event.qualified_by, verdict.outcome) == ("operator:ann", "nurture")
    assert event.reasons[-1] == "operator ann: call in March"


async def test_qualifying_an_unknown_lead_by_hand_is_refused() -> None:
    with pytest.raises(UnknownLead):
        await qualify_by_hand(QualifyByHand("nope", "ann"), FakeUnitOfWork(), today=date.today())
