"""SLA timers: the ladder steps of every offer in flight (remind, breach, tell the team
leads, re-route, escalate), each an event, on the rep's working calendar; and the alert for
a lead that has waited a business day with no accepted owner."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from heapq import heappop, heappush
from itertools import count
from typing import Any

from conveyor.events import Event
from conveyor.events.catalogue.delivery import LeadReminded, TeamLeadNotified
from conveyor.events.catalogue.router import LeadEscalated, LeadSlaBreached
from conveyor.router.domain.calendar import WorkingCalendar
from conveyor.router.domain.offers import Offer
from conveyor.router.domain.reps import Rep
from conveyor.router.domain.sla import (
    DEFAULT_SLA,
    Clock,
    SlaPolicy,
    Step,
    next_due,
    sla_from_dict,
    steps_due,
    stuck_since,
)
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.handshake import append_to_lead, move_on
from conveyor.router.service_layer.ports import AccountMatching, UnitOfWork

Calendars = Callable[[Rep], WorkingCalendar]
STUCK = "no accepted owner for more than one business day"


@dataclass
class Timers:
    """What the timers need: each rep's calendar, the business calendar for the stuck-lead
    alert, the default SLA, and parsed SLAs (kept, they never change once recorded); and
    when each offer's next ladder step and each waiting lead's alert fall due, in two heaps
    kept up to date from what changed in the routing state since the last look, so a pass
    costs what changed and what falls due, not every offer in flight."""

    calendars: Calendars
    business: WorkingCalendar
    default: SlaPolicy = DEFAULT_SLA
    parsed: dict[str, SlaPolicy] = field(default_factory=dict)
    steps: list[tuple[datetime, int, str, str, datetime, int]] = field(default_factory=list)
    alerts: list[tuple[datetime, int, str, datetime]] = field(default_factory=list)
    _looked_at: tuple[int, int] | None = None  # (id of the state, its epoch) last followed
    _state: RoutingState | None = None  # held, so its id is not reused while followed
    _pushed: Iterator[int] = field(default_factory=count)  # ties in a heap: first pushed first

    def policy(self, sla: Mapping[str, Any] | None) -> SlaPolicy:
        """The SLA an offer runs on (the router's default when its rule set none)."""
        if sla is None:
            return self.default
        key = repr(sorted(sla.items()))
        if key not in self.parsed:
            self.parsed[key] = sla_from_dict(sla)
        return self.parsed[key]

    def follow(self, state: RoutingState) -> None:
        """Bring the heaps up to date with the state: what changed since the last look, or
        everything for another state or a new epoch (entries made stale by a change are
        passed over when they come up)."""
        everything = self._looked_at != (id(state), state.epoch)
        if everything:
            self.steps, self.alerts = [], []
            moved, waiting = list(state.offers), list(state.waiting)
        else:
            moved, waiting = list(state.clock_moved), list(state.began_waiting)
        for assignment_id in moved:
            if (offer := state.offers.get(assignment_id)) is not None:
                self._plan_step(offer, state)
        day = self.business.business_day()
        for lead_id in waiting:
            if (lead := state.waiting.get(lead_id)) is not None and not lead.alerted:
                due = self.business.add_working_time(lead.since, day)
                heappush(self.alerts, (due, next(self._pushed), lead_id, lead.since))
        state.clock_moved.clear()  # once planned: a failure above plans them again
        state.began_waiting.clear()
        if everything:
            self._state, self._looked_at = state, (id(state), state.epoch)
        stale = len(self.steps) > 4 * len(state.offers) + 1000
        if stale or len(self.alerts) > 4 * len(state.waiting) + 1000:
            self._looked_at = None  # mostly stale entries: start again on the next look

    def _plan_step(self, offer: Offer, state: RoutingState) -> None:
        """Push when the offer's next ladder step falls due, on its running clock."""
        clock = self._clock(offer, state)
        if clock is None:
            return
        name, started, running, rep = clock
        done = offer.done.get(name, 0)
        due = next_due(running, self.calendars(rep), started, done)
        if due is not None:
            entry = (due, next(self._pushed), offer.assignment_id, name, started, done)
            heappush(self.steps, entry)

    def _clock(self, offer: Offer, state: RoutingState) -> tuple[str, datetime, Clock, Rep] | None:
        """The offer's running clock: its name, start, ladder and the rep's calendar."""
        running, rep = offer.clock, state.reps.get(offer.rep_id)
        if running is None or rep is None:
            return None
        name, started = running
        clock: Clock | None = getattr(self.policy(offer.sla), name)
        return None if clock is None else (name, started, clock, rep)

    def earliest_step(
        self, state: RoutingState, now: datetime
    ) -> tuple[Offer, str, Step, datetime] | None:
        """The offer whose next step fell due first, that step and when (stale entries,
        of offers ended or moved on since, are dropped on the way)."""
        while self.steps and self.steps[0][0] <= now:
            _, _, assignment_id, name, started, done = self.steps[0]
            offer = state.offers.get(assignment_id)
            clock = None if offer is None else self._clock(offer, state)
            if offer is None or clock is None or clock[:2] != (name, started):
                heappop(self.steps)  # the offer ended or its clock stopped or restarted since
                continue
            if offer.done.get(name, 0) != done:
                heappop(self.steps)  # a step was taken since: planned again from there
                continue
            due = steps_due(clock[2], self.calendars(clock[3]), started, done, now)
            if not due:
                heappop(self.steps)
                continue
            return (offer, name, *due[0])
        return None

    def first_stuck(self, state: RoutingState, now: datetime) -> str | None:
        """A lead that has waited more than one business day with no accepted owner and was
        not alerted yet (the longest waiting first)."""
        while self.alerts and self.alerts[0][0] < now:
            _, _, lead_id, since = self.alerts[0]
            waiting = state.waiting.get(lead_id)
            if waiting is None or waiting.alerted or waiting.since != since:
                heappop(self.alerts)
                continue
            # past the moment, counted exactly (at the end of a day the two can differ);
            # if this lead is not stuck yet, none that began waiting after it is
            return lead_id if stuck_since(self.business, since, now) else None
        return None


async def take_next_step(
    uow: UnitOfWork,
    timers: Timers,
    *,
    now: datetime,
    source: str,
    matching: AccountMatching,
) -> bool:
    """Take the earliest ladder step that is due, or raise the stuck-lead alert; one per
    unit of work. Returns whether anything was done."""
    state = await uow.routing_state()
    timers.follow(state)
    due = timers.earliest_step(state, now)
    if due is not None:
        offer, clock_name, step, at = due
        await _take(offer, clock_name, step, at, uow, state, now, source, matching)
        return True
    if (lead_id := timers.first_stuck(state, now)) is not None:
        alert = LeadEscalated(lead_id=lead_id, to="operations", reason=STUCK)
        await append_to_lead(uow, lead_id, [alert], source=source, now=now)
        return True
    return False


async def _take(
    offer: Offer,
    clock: str,
    step: Step,
    due: datetime,
    uow: UnitOfWork,
    state: RoutingState,
    now: datetime,
    source: str,
    matching: AccountMatching,
) -> None:
    ids = {"lead_id": offer.lead_id, "assignment_id": offer.assignment_id, "rep_id": offer.rep_id}
    marks: dict[str, Any] = {"sla": clock, "step": step.index}
    if step.action == "reroute":
        reason = f"{clock} SLA: not {_verb(clock)} in time (due {due.isoformat()})"
        await move_on(
            offer,
            uow,
            [],
            source=source,
            now=now,
            matching=matching,
            reason=reason,
            sla=clock,
            step=step.index,
        )
        return
    event: Event
    if step.action == "breach":
        event = LeadSlaBreached(**ids, due=due, **marks)
    elif step.action == "remind":
        event = LeadReminded(**ids, due=due, **marks)
    else:
        leads = team_leads(state, offer.rep_id)
        if step.action == "notify_team_lead":
            event = TeamLeadNotified(**ids, due=due, team_leads=leads, **marks)
        else:
            reason = f"{clock} SLA: still not {_verb(clock)} (due {due.isoformat()})"
            event = LeadEscalated(
                **ids, to="sales management", reason=reason, notified=leads, **marks
            )
    await append_to_lead(uow, offer.lead_id, [event], source=source, now=now)


def team_leads(state: RoutingState, rep_id: str) -> tuple[str, ...]:
    """The active team leads who share a pool with the rep."""
    rep = state.reps.get(rep_id)
    pools = set(rep.pools) if rep else set()
    return tuple(
        sorted(
            r.rep_id
            for r in state.reps.values()
            if r.role == "team_lead" and r.active and r.rep_id != rep_id and pools & set(r.pools)
        )
    )


def _verb(clock: str) -> str:
    return "accepted" if clock == "accept" else "contacted"
