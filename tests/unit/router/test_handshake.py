"""The handshake with reps' apps over a fake unit of work: accept, decline (the lead moves
on, never back), outcomes, and a rep acting only on their own assignments."""

from decimal import Decimal
from typing import Any

import pytest

from conveyor.events.catalogue.delivery import LeadContacted
from conveyor.events.catalogue.router import (
    DealLost,
    DealWon,
    LeadAccepted,
    LeadAssigned,
    LeadDeclined,
    LeadUnroutable,
)
from conveyor.router.domain.offers import AssignmentError
from conveyor.router.service_layer import handshake
from conveyor.router.service_layer.commands import Accept, Decline, ReportOutcome, ReportWon
from conveyor.router.service_layer.errors import Forbidden, NotFound
from conveyor.router.service_layer.routing import retry_unroutable
from tests.unit.router.fakes import MATCHING, SOURCE, Clock, FakeUnitOfWork
from tests.unit.router.test_routing_handlers import register, route


def ctx(clock: Clock) -> dict[str, Any]:
    return {"source": SOURCE, "now": clock()}


async def offered(uow: FakeUnitOfWork, clock: Clock, lead_id: str) -> LeadAssigned:
    event = await route(uow, clock, lead_id)
    assert isinstance(event, LeadAssigned)
    return event


async def test_accepting_frees_the_open_leads_cap_and_records_who_took_it() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana", settings={"capacity": {"max_open": 1}})
    first = await offered(uow, clock, "l1")
    assert isinstance(await route(uow, clock, "l2"), LeadUnroutable)
    await handshake.accept(Accept(first.assignment_id, "ana"), uow, **ctx(clock))
    assert [type(r.envelope.data) for r in await uow.stream("l1")][-1] is LeadAccepted
    assert await retry_unroutable(uow, source=SOURCE, now=clock(), matching=MATCHING) == "l2"
    with pytest.raises(AssignmentError, match="already accepted"):
        await handshake.accept(Accept(first.assignment_id, "ana"), uow, **ctx(clock))


async def test_a_declined_lead_goes_to_the_next_rep_and_never_back() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    for rep_id in ("ana", "ben", "cy"):
        await register(uow, rep_id)
    first = await offered(uow, clock, "l1")
    seen = [first.rep_id]
    assignment = first.assignment_id
    for _ in range(2):
        owner = seen[-1]
        decline = Decline(assignment, "not my product", owner)
        await handshake.decline(decline, uow, matching=MATCHING, **ctx(clock))
        nxt = (await uow.stream("l1"))[-1].envelope.data
        assert isinstance(nxt, LeadAssigned)
        assert nxt.rep_id not in seen
        assert any(
            c["excluded"] == "already had this lead"
            for a in nxt.decision["attempts"]
            for c in a["candidates"]
        )
        seen.append(nxt.rep_id)
        assignment = nxt.assignment_id
    await handshake.decline(
        Decline(assignment, "busy", seen[-1]), uow, matching=MATCHING, **ctx(clock)
    )
    kinds = [type(r.envelope.data) for r in await uow.stream("l1")]
    assert kinds[-2:] == [LeadDeclined, LeadUnroutable]
    assert sorted(seen) == ["ana", "ben", "cy"]


async def test_a_rep_cannot_act_on_another_reps_assignment() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana")
    await register(uow, "ben")
    offer = await offered(uow, clock, "l1")
    other = "ben" if offer.rep_id == "ana" else "ana"
    with pytest.raises(Forbidden):
        await handshake.accept(Accept(offer.assignment_id, other), uow, **ctx(clock))
    decline = Decline(offer.assignment_id, "x", other)
    with pytest.raises(Forbidden):
        await handshake.decline(decline, uow, matching=MATCHING, **ctx(clock))
    won = ReportWon(offer.assignment_id, Decimal("1"), "EUR", other)
    with pytest.raises(Forbidden):
        await handshake.report_won(won, uow, **ctx(clock))
    with pytest.raises(NotFound):
        await handshake.accept(Accept("nope", "ana"), uow, **ctx(clock))
    assert [type(r.envelope.data) for r in await uow.stream("l1")] == [LeadAssigned]


async def test_outcomes_follow_the_lead_to_a_won_or_lost_deal() -> None:
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana")
    one = await offered(uow, clock, "l1")
    contacted = ReportOutcome(one.assignment_id, "contacted", "ana")
    await handshake.report_outcome(contacted, uow, **ctx(clock))
    with pytest.raises(AssignmentError, match="already contacted"):
        await handshake.report_outcome(contacted, uow, **ctx(clock))
    won = ReportWon(one.assignment_id, Decimal("900.00"), "EUR", "ana", ("crm",), {"name": "Acme"})
    await handshake.report_won(won, uow, **ctx(clock))
    kinds = [type(r.envelope.data) for r in await uow.stream("l1")]
    assert kinds == [LeadAssigned, LeadAccepted, LeadContacted, DealWon]
    deal = (await uow.stream("l1"))[-1].envelope.data
    assert isinstance(deal, DealWon) and deal.products == ("crm",)
    assert deal.account == {"name": "Acme"}
    two = await offered(uow, clock, "l2")
    lost = ReportOutcome(two.assignment_id, "lost", "ana", reason="no budget")
    await handshake.report_outcome(lost, uow, **ctx(clock))
    last = (await uow.stream("l2"))[-1].envelope.data
    assert isinstance(last, DealLost) and last.reason == "no budget"
    with pytest.raises(AssignmentError, match="already lost"):
        await handshake.report_won(
            ReportWon(two.assignment_id, Decimal("1"), "EUR"), uow, **ctx(clock)
        )


async def test_a_won_or_lost_lead_leaves_the_routing_state() -> None:
    """A long-running router keeps its open leads, not every lead it ever routed."""
    uow, clock = FakeUnitOfWork(), Clock()
    await register(uow, "ana")
    await register(uow, "ben")
    one, two, three = [await offered(uow, clock, lead_id) for lead_id in ("l1", "l2", "l3")]
    await handshake.report_won(ReportWon(one.assignment_id, Decimal("5"), "EUR"), uow, **ctx(clock))
    lost = ReportOutcome(two.assignment_id, "lost", two.rep_id, reason="no budget")
    await handshake.report_outcome(lost, uow, **ctx(clock))
    state = await uow.routing_state()
    per_lead = (state.holder, state.tried, state.waiting, state.unroutable, state.current)
    assert [sorted(held) for held in per_lead] == [["l3"], ["l3"], ["l3"], [], ["l3"]]
    assert list(state.offers) == [three.assignment_id]
    assert [sorted(load.open_leads) for load in state.loads.values()] in (
        [["l3"], []],
        [[], ["l3"]],
    )
