"""SLA timers over a fake unit of work and an injected clock: the ladder's steps fire in
order on the rep's calendar (a weekend and a public holiday in between), survive a restart,
re-route to a rep who has not had the lead, and a lead with no accepted owner for a business
day raises an alert once."""

from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from conveyor.events.catalogue.delivery import LeadReminded, TeamLeadNotified
from conveyor.events.catalogue.router import (
    LeadAssigned,
    LeadEscalated,
    LeadReassigned,
    LeadSlaBreached,
    LeadUnroutable,
)
from conveyor.router.adapters.holidays import holiday_checker
from conveyor.router.bootstrap import rep_calendar
from conveyor.router.domain.calendar import WorkingCalendar
from conveyor.router.domain.offers import Offer
from conveyor.router.domain.reps import Rep, parse_settings
from conveyor.router.domain.sla import stuck_since
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer import handshake, policies
from conveyor.router.service_layer.commands import Accept, DraftPolicy, PublishPolicy
from conveyor.router.service_layer.sla_timers import Timers, take_next_step
from tests.unit.router.fakes import MATCHING, SOURCE, Clock, FakeUnitOfWork
from tests.unit.router.test_routing_handlers import register, route

OFFICE = {day: [("09:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = {"working_hours": OFFICE, "holiday_country": "DE"}
SLA = {
    "accept": {
        "within_minutes": 60,
        "ladder": [
            {"at_minutes": 30, "action": "remind"},
            {"at_minutes": 60, "action": "notify_team_lead"},
            {"at_minutes": 90, "action": "reroute"},
        ],
    },
    "contact": {"within_minutes": 120, "ladder": [{"at_minutes": 240, "action": "escalate"}]},
}
HOURS = parse_settings({"working_hours": OFFICE})["working_hours"]
BUSINESS = WorkingCalendar("UTC", HOURS, holiday_checker("DE"))
TIMERS = Timers(rep_calendar, BUSINESS)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


async def team(uow: FakeUnitOfWork, clock: Clock) -> None:
    for rep_id, role in (("ana", "hunter"), ("ben", "hunter"), ("tl", "team_lead")):
        await register(uow, rep_id, role=role, time_zone="Europe/Berlin", settings=BERLIN)
    ctx = {"source": SOURCE, "now": clock()}
    rule = {"name": "default", "pool": "default", "sla": SLA}
    version = await policies.draft_policy(DraftPolicy((rule,)), uow, **ctx)
    await policies.publish_policy(PublishPolicy(version), uow, **ctx)


async def step(uow: FakeUnitOfWork, clock: Clock) -> Any:
    """Take one due step; the event it recorded (None when nothing was due)."""
    before = len(uow.log)
    if not await take_next_step(uow, TIMERS, now=clock(), source=SOURCE, matching=MATCHING):
        assert len(uow.log) == before
        return None
    return uow.log[before].envelope.data


def restarted(uow: FakeUnitOfWork) -> FakeUnitOfWork:
    """A new process: the same log, the state folded again from nothing."""
    fresh = FakeUnitOfWork()
    fresh.log = deepcopy(uow.log)
    return fresh


async def test_the_ladder_fires_in_order_across_a_holiday_and_a_weekend_and_a_restart() -> None:
    clock = Clock(utc(24, 15, 45))  # Thursday 16:45 in Berlin; Friday 25th is Christmas Day
    uow = FakeUnitOfWork()
    await team(uow, clock)
    offer = await route(uow, clock, "l1")
    assert isinstance(offer, LeadAssigned) and offer.rep_id == "ana" and offer.sla == SLA
    clock.now = utc(28, 8, 14)  # Monday 09:14 Berlin: 15 + 14 minutes of working time
    assert await step(uow, clock) is None
    clock.now = utc(28, 8, 15)
    reminded = await step(uow, clock)
    assert isinstance(reminded, LeadReminded) and reminded.due == utc(28, 8, 15)
    assert await step(uow, clock) is None
    uow = restarted(uow)
    clock.now = utc(28, 9, 0)
    breached, told = await step(uow, clock), await step(uow, clock)
    assert isinstance(breached, LeadSlaBreached) and breached.due == utc(28, 8, 45)
    assert isinstance(told, TeamLeadNotified) and told.team_leads == ("tl",)
    assert await step(uow, clock) is None
    clock.now = utc(28, 9, 15)
    moved = await step(uow, clock)
    assert isinstance(moved, LeadReassigned) and (moved.from_rep_id, moved.to_rep_id) == (
        "ana",
        "ben",
    )
    kinds = [type(r.envelope.data).__name__ for r in await uow.stream("l1")]
    assert kinds == [
        "LeadAssigned",
        "LeadReminded",
        "LeadSlaBreached",
        "TeamLeadNotified",
        "LeadReassigned",
        "LeadAssigned",
    ]
    assert await step(uow, clock) is None


async def test_an_accepted_lead_runs_the_contact_clock_and_escalates() -> None:
    clock = Clock(utc(28, 9, 0))  # Monday 10:00 Berlin
    uow = FakeUnitOfWork()
    await team(uow, clock)
    offer = await route(uow, clock, "l1")
    clock.advance(minutes=10)
    accept = Accept(offer.assignment_id, "ana")
    await handshake.accept(accept, uow, source=SOURCE, now=clock())
    clock.now = utc(28, 15, 10)  # 4 working hours after the accept at 10:10 Berlin
    breached, escalated = await step(uow, clock), await step(uow, clock)
    assert isinstance(breached, LeadSlaBreached) and breached.sla == "contact"
    assert isinstance(escalated, LeadEscalated) and escalated.notified == ("tl",)
    assert await step(uow, clock) is None


async def test_a_lead_waiting_a_business_day_without_an_owner_is_alerted_once() -> None:
    clock = Clock(utc(28, 9, 0))
    uow = FakeUnitOfWork()
    assert isinstance(await route(uow, clock, "l1"), LeadUnroutable)
    clock.now = utc(29, 9, 0)  # exactly one business day (8 working hours) later
    assert await step(uow, clock) is None
    clock.now = utc(29, 9, 1)
    alert = await step(uow, clock)
    assert isinstance(alert, LeadEscalated) and alert.to == "operations"
    assert "one business day" in alert.reason
    assert await step(uow, clock) is None


class CountingCalendar(WorkingCalendar):
    """The business calendar, counting how often working time is counted between moments."""

    counted = 0

    def working_time_between(self, start: datetime, end: datetime) -> Any:
        CountingCalendar.counted += 1
        return super().working_time_between(start, end)


def waiting_since(leads: dict[str, datetime]) -> RoutingState:
    state = RoutingState()
    for lead_id, since in leads.items():
        state.park(lead_id, {"lead_id": lead_id}, since)
    return state


def test_the_stuck_check_agrees_with_counting_working_time_across_a_weekend() -> None:
    since = utc(4, 15)  # a Friday afternoon: one business day later is Monday afternoon
    moments = [
        utc(day, hour, minute) for day in (4, 5, 6, 7) for hour in range(24) for minute in (0, 59)
    ]
    timers, state = Timers(rep_calendar, BUSINESS), waiting_since({"lead-1": since})
    for now in moments:
        timers.follow(state)
        stuck = timers.first_stuck(state, now) == "lead-1"
        assert stuck == stuck_since(BUSINESS, since, now), now


def test_waiting_leads_short_of_a_business_day_cost_no_counting_of_working_time() -> None:
    calendar = CountingCalendar("UTC", HOURS, holiday_checker("DE"))
    timers = Timers(rep_calendar, calendar)
    state = waiting_since({f"lead-{n}": utc(7, 9, n % 60) for n in range(500)})
    CountingCalendar.counted = 0
    for _ in range(3):
        timers.follow(state)
        assert timers.first_stuck(state, utc(7, 16)) is None
    assert CountingCalendar.counted == 0
    assert timers.first_stuck(state, utc(8, 9, 1)) == "lead-0"
    assert CountingCalendar.counted == 1


def test_a_pass_looks_only_at_what_changed_since_the_last() -> None:
    """Offers and waiting leads are planned once; a pass then costs what falls due."""
    timers, state = Timers(rep_calendar, BUSINESS), RoutingState()
    state.add_rep(Rep("ana", "Ana", "hunter", working_hours=HOURS))
    for n in range(300):
        state.assign(f"lead-{n}", "ana", utc(7, 9), pool="default", advance=None)
        state.open_offer(Offer(f"a-{n}", f"lead-{n}", "ana", utc(7, 9)))
    timers.follow(state)
    assert (len(timers.steps), len(timers.alerts)) == (300, 300)
    for _ in range(3):  # nothing changed: nothing planned again
        timers.follow(state)
    assert (len(timers.steps), len(timers.alerts)) == (300, 300)
    assert timers.earliest_step(state, utc(7, 9, 29)) is None
    due = timers.earliest_step(state, utc(7, 9, 30))
    assert due is not None and due[0].assignment_id == "a-0"


def test_what_the_timers_looked_at_is_not_part_of_the_state() -> None:
    """A state the timers followed equals one folded from the same events and never
    followed (the lead consumer's checks compare the live state with the log's)."""

    def folded() -> RoutingState:
        state = RoutingState()
        state.add_rep(Rep("ana", "Ana", "hunter", working_hours=HOURS))
        for n in range(3):
            state.assign(f"lead-{n}", "ana", utc(7, 9), pool="default", advance=None)
            state.open_offer(Offer(f"a-{n}", f"lead-{n}", "ana", utc(7, 9)))
        return state

    followed, fresh = folded(), folded()
    Timers(rep_calendar, BUSINESS).follow(followed)
    assert (followed.clock_moved, fresh.clock_moved) == (set(), {"a-0", "a-1", "a-2"})
    assert followed == fresh
    fresh.open_offer(Offer("a-3", "lead-3", "ana", utc(7, 9)))
    assert followed != fresh


def test_a_due_time_follows_a_change_of_the_reps_calendar() -> None:
    timers, state = Timers(rep_calendar, BUSINESS), RoutingState()
    state.add_rep(Rep("ana", "Ana", "hunter", working_hours=HOURS))
    offered = utc(4, 16, 45)  # a Friday, 15 minutes before 17:00
    state.open_offer(Offer("a-1", "lead-1", "ana", offered))
    timers.follow(state)
    saturday, monday = utc(5, 9, 15), utc(7, 9, 15)  # 30 working minutes on
    assert timers.earliest_step(state, saturday) is None
    step = timers.earliest_step(state, monday)
    assert step is not None and step[3] == monday
    state.change_rep("ana", {"working_hours": {**OFFICE, "sat": [("09:00", "17:00")]}})
    timers.follow(state)  # the rep now works on Saturdays
    step = timers.earliest_step(state, saturday)
    assert step is not None and step[3] == saturday
