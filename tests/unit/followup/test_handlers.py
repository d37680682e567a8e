"""Followup's handlers, on fakes of its ports."""

import dataclasses
from datetime import date
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.followup import AccountHandedOver, FarmerEnrolled, FollowUpScheduled
from conveyor.events.catalogue.router import DealWon, RepRegistered, Role
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.followup.domain.handover import FarmerLoad, account_id_for
from conveyor.followup.service_layer.handlers import (
    Dependencies,
    enrol_farmer,
    hand_over_account,
)

from .fakes import FakeFarmerLoads, FakeWriter, Relay, moment

NO_CONNECTION = cast(AsyncConnection, None)  # the fakes never touch it
ROUTER = "/conveyor/router"


@pytest.fixture
def writer() -> FakeWriter:
    return FakeWriter()


@pytest.fixture
def relay() -> Relay:
    return Relay()


def dependencies(writer: FakeWriter, relay: Relay, *farmers: FarmerLoad) -> Dependencies:
    return Dependencies(
        writer=writer,
        farmers=FakeFarmerLoads(*farmers),
        source="/conveyor/followup",
        first_task_days=2,
        committed=relay.committed,
        new_task_id=lambda: "task-1",
    )


def registered(rep_id: str, role: Role) -> Envelope:
    event = RepRegistered(rep_id=rep_id, name=f"Rep {rep_id}", role=role)
    return new_envelope(event, subject=rep_id, source=ROUTER)


def won(lead_id: str, *, on: str = "2025-03-07T15:30:00") -> Envelope:
    lead = LeadSnapshot(
        lead_id=lead_id, source="web", channel="form", contact=Contact(name="Ann", company="Acme")
    )
    deal = DealWon(
        lead_id=lead_id,
        assignment_id="as-1",
        rep_id="hunter-1",
        amount=Decimal("1200.00"),
        currency="EUR",
        won_at=moment(on),
        lead=lead,
    )
    return new_envelope(deal, subject=lead_id, source=ROUTER)


async def test_a_registered_farmer_is_enrolled(writer: FakeWriter, relay: Relay) -> None:
    deps = dependencies(writer, relay)
    await enrol_farmer(registered("f-1", "farmer"), NO_CONNECTION, deps=deps)
    [envelope] = writer.streams["farmer-f-1"]
    assert envelope.data == FarmerEnrolled(farmer_id="f-1", name="Rep f-1")
    assert relay.wakes == 1


async def test_hunters_and_team_leads_are_not_enrolled(writer: FakeWriter, relay: Relay) -> None:
    deps = dependencies(writer, relay)
    for role in ("hunter", "team_lead"):
        await enrol_farmer(registered("r-1", role), NO_CONNECTION, deps=deps)
    assert writer.streams == {}


async def test_a_farmer_registered_twice_is_enrolled_once(writer: FakeWriter, relay: Relay) -> None:
    deps = dependencies(writer, relay)
    for _ in range(2):
        await enrol_farmer(registered("f-1", "farmer"), NO_CONNECTION, deps=deps)
    assert len(writer.streams["farmer-f-1"]) == 1
    assert relay.wakes == 1


async def test_a_won_deal_goes_to_the_least_loaded_farmer(writer: FakeWriter, relay: Relay) -> None:
    deps = dependencies(writer, relay, FarmerLoad("f-1", 3), FarmerLoad("f-2", 1))
    await hand_over_account(won("lead-1"), NO_CONNECTION, deps=deps)
    handed, _, _, _ = [e.data for e in writer.streams[account_id_for("lead-1")]]
    assert handed == AccountHandedOver(
        account_id=account_id_for("lead-1"),
        lead_id="lead-1",
        hunter_id="hunter-1",
        farmer_id="f-2",
        reason="least loaded farmer (1 account)",
        rule="least_loaded",
        reasons=("least loaded farmer (1 account)",),
        client_key="company:acme",
        company="Acme",
    )


async def test_a_client_with_a_farmer_already_goes_to_that_farmer(
    writer: FakeWriter, relay: Relay
) -> None:
    farmers = FakeFarmerLoads(FarmerLoad("f-1", 9), FarmerLoad("f-2", 0))
    farmers.clients["company:acme"] = "f-1"
    deps = dataclasses.replace(dependencies(writer, relay), farmers=farmers)
    await hand_over_account(won("lead-2"), NO_CONNECTION, deps=deps)
    handed, _, _, _ = [e.data for e in writer.streams[account_id_for("lead-2")]]
    assert isinstance(handed, AccountHandedOver)
    assert (handed.farmer_id, handed.rule) == ("f-1", "existing_farmer")


async def test_the_default_cap_applies_to_farmers_without_their_own(
    writer: FakeWriter, relay: Relay
) -> None:
    deps = dependencies(writer, relay, FarmerLoad("f-1", 2), FarmerLoad("f-2", 5, cap=10))
    deps = dataclasses.replace(deps, default_cap=2)
    await hand_over_account(won("lead-1"), NO_CONNECTION, deps=deps)
    handed, _, _, _ = [e.data for e in writer.streams[account_id_for("lead-1")]]
    assert isinstance(handed, AccountHandedOver)
    assert handed.farmer_id == "f-2"


async def test_the_onboarding_call_is_due_two_business_days_after_the_deal(
    writer: FakeWriter, relay: Relay
) -> None:
    deps = dependencies(writer, relay, FarmerLoad("f-1", 0))
    await hand_over_account(won("lead-1", on="2025-03-07T15:30:00"), NO_CONNECTION, deps=deps)
    _, _, task, _ = [e.data for e in writer.streams[account_id_for("lead-1")]]
    assert isinstance(task, FollowUpScheduled)
    assert (task.task_id, task.kind, task.farmer_id) == ("task-1", "onboarding_call", "f-1")
    assert task.due_on == date(2025, 3, 11)
    assert "Acme" in task.notes


async def test_without_farmers_the_task_waits_unassigned(writer: FakeWriter, relay: Relay) -> None:
    deps = dependencies(writer, relay)
    await hand_over_account(won("lead-1"), NO_CONNECTION, deps=deps)
    handed, _, task, _ = [e.data for e in writer.streams[account_id_for("lead-1")]]
    assert isinstance(handed, AccountHandedOver)
    assert (handed.farmer_id, handed.reason) == ("unassigned", "no farmer enrolled")
    assert isinstance(task, FollowUpScheduled)
    assert task.farmer_id == "unassigned"


async def test_a_second_deal_on_the_same_lead_changes_nothing(
    writer: FakeWriter, relay: Relay
) -> None:
    deps = dependencies(writer, relay, FarmerLoad("f-1", 0))
    await hand_over_account(won("lead-1"), NO_CONNECTION, deps=deps)
    await hand_over_account(won("lead-1"), NO_CONNECTION, deps=deps)
    assert len(writer.streams[account_id_for("lead-1")]) == 4
    assert relay.wakes == 1


async def test_the_handover_is_caused_by_the_deal_and_shares_its_correlation(
    writer: FakeWriter, relay: Relay
) -> None:
    deal, account_id = won("lead-1"), account_id_for("lead-1")
    await hand_over_account(deal, NO_CONNECTION, deps=dependencies(writer, relay))
    for envelope in writer.streams[account_id]:
        assert envelope.causation_id == deal.id
        assert envelope.correlation_id == deal.correlation_id
        assert (envelope.subject, envelope.source) == (account_id, "/conveyor/followup")


async def test_a_farmers_routing_settings_become_their_portfolio_rules(
    writer: FakeWriter, relay: Relay
) -> None:
    settings = {"territories": ["North "], "segments": ["SMB"], "team_lead_id": "lead-1"}
    event = RepRegistered(
        rep_id="f-1", name="Fay", role="farmer", time_zone="Europe/Berlin", settings=settings
    )
    envelope = new_envelope(event, subject="f-1", source=ROUTER)
    await enrol_farmer(envelope, NO_CONNECTION, deps=dependencies(writer, relay))
    [enrolled] = [e.data for e in writer.streams["farmer-f-1"]]
    assert isinstance(enrolled, FarmerEnrolled)
    assert (enrolled.territories, enrolled.segments) == (("north",), ("smb",))
    assert (enrolled.time_zone, enrolled.team_lead_id) == ("Europe/Berlin", "lead-1")
