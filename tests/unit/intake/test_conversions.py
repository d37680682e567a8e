"""A won deal makes the person a customer: coming back, they are a repeat customer."""

from datetime import UTC, datetime, timedelta

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadConverted, LeadQualified
from conveyor.events.catalogue.router import DealWon
from conveyor.events.catalogue.values import Contact as ContactValue
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.intake.domain.lead import Contact
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.conversions import record_conversion
from conveyor.intake.service_layer.handlers import receive_lead

from .fakes import FakeUnitOfWork

ADA = ReceiveLead(contact=Contact("Ada", email="ada@example.org"))
WON_AT = datetime(2026, 11, 22, 12, tzinfo=UTC)


def deal_won(lead_id: str) -> Envelope:
    snapshot = LeadSnapshot(
        lead_id=lead_id, source="web", channel="web_form", contact=ContactValue(name="Ada")
    )
    event = DealWon(
        lead_id=lead_id,
        assignment_id="as-1",
        rep_id="ana",
        amount="100",
        currency="EUR",
        won_at=WON_AT,
        lead=snapshot,
    )
    return new_envelope(event, subject=lead_id, source="/conveyor/router")


async def test_a_won_deal_is_recorded_once_on_the_lead() -> None:
    uow = FakeUnitOfWork()
    lead_id = (await receive_lead(ADA, uow)).lead_id
    won = deal_won(lead_id)
    assert await record_conversion(lead_id, WON_AT, uow, caused_by=won)
    assert not await record_conversion(lead_id, WON_AT, uow, caused_by=won)
    converted = [e.data for e in uow.streams[lead_id] if isinstance(e.data, LeadConverted)]
    assert [c.won_at for c in converted] == [WON_AT]


async def test_a_deal_on_a_lead_intake_never_received_is_ignored() -> None:
    uow = FakeUnitOfWork()
    assert not await record_conversion("elsewhere", WON_AT, uow, caused_by=deal_won("elsewhere"))
    assert uow.streams == {}


async def test_a_customer_coming_back_after_the_window_is_a_repeat_customer() -> None:
    uow = FakeUnitOfWork()
    lead_id = (await receive_lead(ADA, uow)).lead_id
    await record_conversion(lead_id, WON_AT, uow, caused_by=deal_won(lead_id))
    back = await receive_lead(ADA, uow, duplicate_window=timedelta(0))
    verdict = uow.streams[back.lead_id][1].data
    assert isinstance(verdict, LeadQualified)
    assert verdict.lead_type == "repeat_customer"
