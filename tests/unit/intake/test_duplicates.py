"""The same person again: a touch on the existing lead within the window, else a new lead."""

from datetime import timedelta

from conveyor.events.catalogue.intake import LeadDuplicateDetected, LeadReceived
from conveyor.intake.domain.lead import Contact
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import receive_lead

from .fakes import FakeUnitOfWork, lead_streams

ADA = Contact("Ada Lovelace", email="ada@example.com", phone="+442079460000")


async def test_the_same_email_again_is_a_touch_on_the_first_lead_not_a_second_lead() -> None:
    uow = FakeUnitOfWork()
    first = await receive_lead(ReceiveLead(contact=ADA, source="website"), uow)
    again = Contact("Ada L.", email="ADA@example.com")
    touch = await receive_lead(ReceiveLead(contact=again, source="call-centre"), uow)
    assert touch.duplicate_of == first.lead_id != touch.lead_id
    assert list(lead_streams(uow)) == [first.lead_id]
    detected = uow.streams[first.lead_id][-1].data
    assert isinstance(detected, LeadDuplicateDetected)
    assert (detected.lead_id, detected.duplicate_of) == (first.lead_id, first.lead_id)
    assert (detected.matched_on, detected.touch_id) == ("email", touch.lead_id)
    assert detected.touch is not None and detected.touch.source == "call-centre"


async def test_the_same_phone_number_again_is_a_touch_matched_on_phone() -> None:
    uow = FakeUnitOfWork()
    first = await receive_lead(ReceiveLead(contact=ADA), uow)
    touch = await receive_lead(ReceiveLead(contact=Contact("A", phone="+442079460000")), uow)
    assert touch.duplicate_of == first.lead_id
    detected = uow.streams[first.lead_id][-1].data
    assert isinstance(detected, LeadDuplicateDetected) and detected.matched_on == "phone"


async def test_another_person_is_a_new_lead() -> None:
    uow = FakeUnitOfWork()
    await receive_lead(ReceiveLead(contact=ADA), uow)
    other = await receive_lead(ReceiveLead(contact=Contact("Bo", email="bo@example.com")), uow)
    assert other.duplicate_of is None
    assert len(lead_streams(uow)) == 2


async def test_the_same_person_after_the_window_is_a_returning_lead_naming_the_earlier_one() -> (
    None
):
    uow = FakeUnitOfWork()
    first = await receive_lead(ReceiveLead(contact=ADA), uow)
    back = await receive_lead(ReceiveLead(contact=ADA), uow, duplicate_window=timedelta(0))
    assert back.duplicate_of is None
    received = uow.streams[back.lead_id][0].data
    assert isinstance(received, LeadReceived)
    assert received.previous_lead_id == first.lead_id


async def test_a_first_time_lead_names_no_earlier_lead() -> None:
    uow = FakeUnitOfWork()
    lead = await receive_lead(ReceiveLead(contact=ADA), uow)
    received = uow.streams[lead.lead_id][0].data
    assert isinstance(received, LeadReceived) and received.previous_lead_id is None
