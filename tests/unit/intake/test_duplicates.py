"""The same person again: a touch on the existing lead within the window, else a new lead."""

from datetime import UTC, datetime, timedelta

from conveyor.events.catalogue.intake import LeadDuplicateDetected, LeadReceived
from conveyor.intake.domain.duplicates import KnownPeople, PersonKeys, PersonLead
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


def known(**leads: tuple[str | None, str | None, int]) -> KnownPeople:
    """People known by name: (email key, phone, minutes after noon received)."""
    noon = datetime(2026, 5, 4, 12, tzinfo=UTC)
    return KnownPeople(
        [PersonKeys(e, p) for e, p, _ in leads.values()],
        [
            PersonLead(name, e, p, noon + timedelta(minutes=m), "qualified")
            for name, (e, p, m) in leads.items()
        ],
    )


def test_known_people_give_the_newest_lead_of_the_email_or_the_phone() -> None:
    people = known(ana=("ana@x", None, 0), ben=(None, "+1", 5), cy=("cy@x", "+1", 3))
    newest = people.newest(PersonKeys("ana@x", "+1"))
    assert newest is not None and (newest.lead_id, newest.matched_on) == ("ben", "phone")
    by_both = people.newest(PersonKeys("cy@x", "+2"))
    assert by_both is not None and (by_both.lead_id, by_both.matched_on) == ("cy", "email")
    assert people.newest(PersonKeys("dee@x", None)) is None


def test_known_people_cover_only_the_keys_asked_about_and_take_newer_leads() -> None:
    people = known(ana=("ana@x", "+1", 0))
    assert people.covers(PersonKeys("ana@x", None)) and people.covers(PersonKeys(None, "+1"))
    assert not people.covers(PersonKeys("ana@x", "+9"))
    later = datetime(2026, 5, 4, 13, tzinfo=UTC)
    people.add(PersonLead("ana-2", "ana@x", None, later, "nurtured"))
    newest = people.newest(PersonKeys(None, "+1"))
    assert newest is not None and newest.lead_id == "ana"  # the new lead has no phone
    newest = people.newest(PersonKeys("ana@x", "+1"))
    assert newest is not None and (newest.lead_id, newest.outcome) == ("ana-2", "nurtured")
