"""Routing use cases over a fake unit of work: fallback, unroutable and retry, policies in
time, key accounts, and rebuilding decisions from the log."""

from datetime import timedelta
from typing import Any

import pytest

from conveyor.events.catalogue.router import LeadAssigned, LeadUnroutable
from conveyor.router.domain.policy import PolicyError
from conveyor.router.service_layer import accounts, handlers, policies
from conveyor.router.service_layer.commands import (
    ChangeAvailability,
    DraftPolicy,
    PublishPolicy,
    RegisterRep,
    RollBackPolicy,
    UpdateRep,
)
from conveyor.router.service_layer.replay import replay_decisions
from conveyor.router.service_layer.routing import retry_unroutable, route_lead
from tests.unit.router.fakes import MATCHING, SOURCE, Clock, FakeUnitOfWork, qualified


async def register(uow: FakeUnitOfWork, rep_id: str, **fields: Any) -> None:
    cmd = RegisterRep(rep_id=rep_id, name=rep_id, role=fields.pop("role", "hunter"), **fields)
    await handlers.register_rep(cmd, uow, source=SOURCE)


async def route(uow: FakeUnitOfWork, clock: Clock, lead_id: str, **lead: Any) -> Any:
    await route_lead(qualified(lead_id, **lead), uow, source=SOURCE, now=clock(), matching=MATCHING)
    return (await uow.stream(lead_id))[-1].envelope.data


async def publish(uow: FakeUnitOfWork, clock: Clock, pool: str, **when: Any) -> int:
    ctx = {"source": SOURCE, "now": clock()}
    version = await policies.draft_policy(DraftPolicy(({"name": pool, "pool": pool},)), uow, **ctx)
    await policies.publish_policy(PublishPolicy(version, when.get("at")), uow, **ctx)
    return version


async def test_a_redelivered_lead_is_routed_once() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana")
    envelope = qualified("l1")
    for _ in range(2):
        await route_lead(envelope, uow, source=SOURCE, now=clock(), matching=MATCHING)
    assert [type(r.envelope.data) for r in await uow.stream("l1")] == [LeadAssigned]


async def test_an_unroutable_lead_waits_and_is_offered_when_a_rep_frees_up() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana", settings={"capacity": {"max_open": 1}})
    assert isinstance(await route(uow, clock, "l1"), LeadAssigned)
    stuck = await route(uow, clock, "l2")
    assert isinstance(stuck, LeadUnroutable)
    assert "open leads cap reached (1/1)" in str(stuck.decision)
    assert await retry_unroutable(uow, source=SOURCE, now=clock(), matching=MATCHING) is None
    cmd = UpdateRep("ana", {"settings": {"capacity": {"max_open": 2}}})
    await handlers.update_rep(cmd, uow, source=SOURCE, now=clock())
    assert await retry_unroutable(uow, source=SOURCE, now=clock(), matching=MATCHING) == "l2"
    kinds = [type(r.envelope.data) for r in await uow.stream("l2")]
    assert kinds == [LeadUnroutable, LeadAssigned]
    assert not (await uow.routing_state()).unroutable


async def test_a_rep_back_from_unavailability_takes_the_waiting_lead() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana")
    off = ChangeAvailability("ana", available=False, reason="sick")
    await handlers.change_availability(off, uow, source=SOURCE, now=clock())
    assert isinstance(await route(uow, clock, "l1"), LeadUnroutable)
    on = ChangeAvailability("ana", available=True)
    await handlers.change_availability(on, uow, source=SOURCE, now=clock())
    assert await retry_unroutable(uow, source=SOURCE, now=clock(), matching=MATCHING) == "l1"


async def test_a_scheduled_policy_takes_effect_at_its_time_and_not_before() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    for rep_id, pool in (("ana", "a"), ("bo", "b")):
        await register(uow, rep_id, pools=(pool,))
    await publish(uow, clock, "a")
    cut_over = clock.now + timedelta(hours=1)
    await publish(uow, clock, "b", at=cut_over)
    clock.advance(minutes=59, seconds=59)
    assert (await route(uow, clock, "l1")).rep_id == "ana"
    clock.advance(seconds=1)
    after = await route(uow, clock, "l2")
    assert (after.rep_id, after.policy_version) == ("bo", 2)


async def test_rollback_restores_the_previous_policy() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    for rep_id, pool in (("ana", "a"), ("bo", "b")):
        await register(uow, rep_id, pools=(pool,))
    await publish(uow, clock, "a")
    clock.advance(minutes=1)
    await publish(uow, clock, "b")
    assert (await route(uow, clock, "l1")).rep_id == "bo"
    clock.advance(minutes=1)
    back = await policies.roll_back_policy(RollBackPolicy(), uow, source=SOURCE, now=clock())
    assert (back.from_version, back.policy_version) == (2, 1)
    assert (await route(uow, clock, "l2")).rep_id == "ana"


async def test_publishing_in_the_past_or_an_unknown_draft_is_refused() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    with pytest.raises(PolicyError, match="past"):
        await publish(uow, clock, "a", at=clock.now - timedelta(seconds=1))
    with pytest.raises(PolicyError, match="no drafted policy version 9"):
        await policies.publish_policy(PublishPolicy(9), uow, source=SOURCE, now=clock())
    with pytest.raises(PolicyError, match="nothing to roll back"):
        await policies.roll_back_policy(RollBackPolicy(), uow, source=SOURCE, now=clock())


async def test_a_key_account_lead_goes_to_its_owner_with_the_evidence() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    for rep_id in ("ana", "kim"):
        await register(uow, rep_id)
    ctx = {"source": SOURCE, "now": clock()}
    cmd = accounts.RegisterKeyAccount("acme", "ACME Industries GmbH", "kim", ("acme.de",))
    await accounts.register_key_account(cmd, uow, **ctx)
    rules = (
        {"name": "key accounts", "when": [{"field": "key_account", "op": "exists"}],
         "key_account_owner": True},
        {"name": "everyone", "pool": "default"},
    )  # fmt: skip
    version = await policies.draft_policy(DraftPolicy(rules), uow, **ctx)
    await policies.publish_policy(PublishPolicy(version), uow, **ctx)
    by_name = await route(uow, clock, "l1", company="Akme Industries AG")
    assert (by_name.rep_id, by_name.rule) == ("kim", "key accounts")
    assert by_name.key_account["matched_on"] == "company_name"
    assert by_name.key_account["evidence"] == "'akme industries' ~ 'acme industries'"
    other = await route(uow, clock, "l2", company="Initech")
    assert (other.rep_id, other.rule) == ("ana", "everyone")


async def test_replaying_the_log_reproduces_every_decision() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    for rep_id, weight in (("ana", 3), ("ben", 1), ("cy", 2)):
        await register(uow, rep_id, settings={"weight": weight, "capacity": {"per_day": 40}})
    rules = ({"name": "w", "pool": "default", "strategy": "weighted_round_robin"},)
    ctx = {"source": SOURCE, "now": clock()}
    await policies.publish_policy(
        PublishPolicy(await policies.draft_policy(DraftPolicy(rules), uow, **ctx)), uow, **ctx
    )
    for n in range(150):
        clock.advance(minutes=3)
        if n == 50:
            await handlers.update_rep(UpdateRep("ben", {"active": False}), uow, **ctx)
        if n == 90:
            await register(uow, "dan")
        await route(uow, clock, f"l{n}", country=("DE", "FR")[n % 2])
    replayed = replay_decisions(uow.envelopes(), MATCHING)
    assert len(replayed) == 150
    assert [r.decision.rep_id for r in replayed] == [r.recorded for r in replayed]
    recorded = [r.envelope.data for r in uow.log if isinstance(r.envelope.data, LeadAssigned)]
    again = [r.decision.chosen.advance for r in replayed if r.decision.chosen]
    assert [a.after if a else {} for a in again] == [e.counters_after for e in recorded]


async def test_rules_see_the_verdict_and_a_retried_lead_keeps_it() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana", pools=("partners",), active=False)
    await register(uow, "ben")
    rules = (
        {"name": "partners", "pool": "partners", "on_no_candidate": "fallback",
         "when": [{"field": "lead_type", "op": "equals", "value": "partner"},
                  {"field": "temperature", "op": "in", "value": ["hot", "warm"]}]},
        {"name": "rest", "pool": "default"},
    )  # fmt: skip
    ctx = {"source": SOURCE, "now": clock()}
    version = await policies.draft_policy(DraftPolicy(rules), uow, **ctx)
    await policies.publish_policy(PublishPolicy(version), uow, **ctx)
    assert (await route(uow, clock, "l1", lead_type="customer")).rep_id == "ben"
    waiting = await route(uow, clock, "l2", lead_type="partner")
    assert isinstance(waiting, LeadUnroutable)
    assert waiting.qualification["lead_type"] == "partner"
    await handlers.update_rep(UpdateRep("ana", {"active": True}), uow, **ctx)
    assert await retry_unroutable(uow, source=SOURCE, now=clock(), matching=MATCHING) == "l2"
    retried = (await uow.stream("l2"))[-1].envelope.data
    assert (retried.rep_id, retried.rule, retried.qualification["score"]) == ("ana", "partners", 80)
