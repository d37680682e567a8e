"""receive_lead with a fake unit of work: what it records, and in one transaction."""

import pytest

from conveyor.events.catalogue.intake import LeadQualified, LeadReceived
from conveyor.events.store import ConcurrencyError
from conveyor.intake.domain.lead import Contact, Interest, Location
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import Receipt, receive_lead, receive_leads
from conveyor.intake.service_layer.rate_limits import Hit, RateLimited

from .fakes import FakeUnitOfWork, lead_streams

ADA = Contact("Ada Lovelace", email="ada@example.com", company="Analytical Ltd")


async def test_a_received_lead_gets_a_new_stream_of_received_then_qualified() -> None:
    uow = FakeUnitOfWork()
    lead_id = (await receive_lead(ReceiveLead(contact=ADA, channel="web_form"), uow)).lead_id
    received, qualified = uow.streams[lead_id]
    assert isinstance(received.data, LeadReceived)
    assert isinstance(qualified.data, LeadQualified)
    assert received.subject == qualified.subject == lead_id
    assert received.source == qualified.source == uow.source


async def test_both_events_are_committed_together_once() -> None:
    uow = FakeUnitOfWork()
    await receive_lead(ReceiveLead(contact=ADA), uow)
    assert uow.commits == 1


async def test_qualified_is_caused_by_received_and_shares_its_correlation() -> None:
    uow = FakeUnitOfWork()
    received, qualified = uow.streams[(await receive_lead(ReceiveLead(contact=ADA), uow)).lead_id]
    assert qualified.causation_id == received.id
    assert qualified.correlation_id == received.correlation_id


async def test_the_verdict_carries_score_temperature_and_reasons() -> None:
    uow = FakeUnitOfWork()
    command = ReceiveLead(contact=ADA, interest=Interest(product_lines=("engines",)))
    _, qualified = uow.streams[(await receive_lead(command, uow)).lead_id]
    assert isinstance(qualified.data, LeadQualified)
    assert (qualified.data.score, qualified.data.temperature) == (70, "hot")
    assert "names a company" in qualified.data.reasons


async def test_an_email_only_lead_is_warm() -> None:
    uow = FakeUnitOfWork()
    command = ReceiveLead(contact=Contact("Ada", email="ada@example.com"))
    _, qualified = uow.streams[(await receive_lead(command, uow)).lead_id]
    assert isinstance(qualified.data, LeadQualified)
    assert (qualified.data.score, qualified.data.temperature) == (40, "warm")


async def test_the_snapshot_carries_the_lead_as_it_arrived() -> None:
    uow = FakeUnitOfWork()
    command = ReceiveLead(
        contact=ADA,
        source="partner-x",
        channel="partner",
        location=Location(country="GB"),
        interest=Interest(product_lines=("engines",)),
        utm={"a": "b"},
    )
    lead_id = (await receive_lead(command, uow)).lead_id
    received = uow.streams[lead_id][0].data
    assert isinstance(received, LeadReceived)
    assert received.lead.lead_id == lead_id
    assert received.lead.contact.model_dump() == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": None,
        "company": "Analytical Ltd",
        "job_title": None,
    }
    assert (received.lead.source, received.lead.channel) == ("partner-x", "partner")
    assert received.lead.location.country == "GB"
    assert received.lead.interest.product_lines == ("engines",)
    assert received.lead.utm == {"a": "b"}


async def test_every_lead_gets_its_own_id() -> None:
    uow = FakeUnitOfWork()
    first = (await receive_lead(ReceiveLead(contact=ADA), uow)).lead_id
    other = Contact("Bo Peep", email="bo@example.com")
    second = (await receive_lead(ReceiveLead(contact=other), uow)).lead_id
    assert first != second


class ConflictingUnitOfWork(FakeUnitOfWork):
    async def append(self, stream_id: str, envelopes: object, *, expected_version: int) -> None:
        raise ConcurrencyError(stream_id, expected_version, 2)


async def test_a_failed_append_reaches_the_caller_and_commits_nothing() -> None:
    uow = ConflictingUnitOfWork()
    with pytest.raises(ConcurrencyError):
        await receive_lead(ReceiveLead(contact=ADA), uow)
    assert uow.commits == 0
    assert lead_streams(uow) == {}


WINDOW = 1_789_999_980  # a minute's start


def hit(limit: int) -> Hit:
    """A request made with key-1, 30 s into the minute."""
    return Hit("key-1", limit, WINDOW + 30.0)


async def test_requests_over_the_limit_are_counted_with_the_leads_and_refused() -> None:
    """The requests are counted in the leads' transaction, in order: those past the limit
    get RateLimited and nothing recorded; they count all the same (one commit)."""
    uow = FakeUnitOfWork()
    people = [Contact(f"P{n}", email=f"p{n}@example.com") for n in range(3)]
    got = await receive_leads([ReceiveLead(contact=c, hit=hit(2)) for c in people], uow)
    assert [type(r) for r in got] == [Receipt, Receipt, RateLimited]
    refused = got[2]
    assert isinstance(refused, RateLimited) and refused.retry_after == 30.0
    assert len(lead_streams(uow)) == 2 and uow.commits == 1
    assert uow.hits == {("key-1", WINDOW): 3}


async def test_a_lone_request_over_the_limit_is_refused_once_its_count_is_committed() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(RateLimited):
        await receive_lead(ReceiveLead(contact=ADA, hit=hit(0)), uow)
    assert lead_streams(uow) == {} and uow.commits == 1
    assert sum(uow.hits.values()) == 1
