"""SLA timers: the ladder steps of every offer in flight (remind, breach, tell the team
leads, re-route, escalate), each an event, on the rep's working calendar; and the alert for
a lead that has waited a business day with no accepted owner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
    alert, the default SLA, and parsed SLAs (kept, they never change once recorded)."""

    calendars: Calendars
    business: WorkingCalendar
    default: SlaPolicy = DEFAULT_SLA
    parsed: dict[str, SlaPolicy] = field(default_factory=dict)
    next_at: dict[tuple[Any, ...], datetime | None] = field(default_factory=dict)
    stuck_after: dict[tuple[str, datetime], datetime] = field(default_factory=dict)
    calendar_keys: dict[int, tuple[Rep, tuple[Any, ...]]] = field(default_factory=dict)

    def policy(self, sla: Mapping[str, Any] | None) -> SlaPolicy:
        """The SLA an offer runs on (the router's default when its rule set none)."""
        if sla is None:
            return self.default
        key = repr(sorted(sla.items()))
        if key not in self.parsed:
            self.parsed[key] = sla_from_dict(sla)
        return self.parsed[key]

    def forget_ended(self, offers: Mapping[str, Offer], waiting: Mapping[str, Any]) -> None:
        """Drop the kept times of offers no longer in flight and leads no longer waiting
        (now and then)."""
        if len(self.next_at) > 4 * len(offers) + 1000:
            self.next_at = {k: v for k, v in self.next_at.items() if k[0] in offers}
        if len(self.stuck_after) > 2 * len(waiting) + 1000:
            self.stuck_after = {k: v for k, v in self.stuck_after.items() if k[0] in waiting}

    def stuck(self, lead_id: str, since: datetime, now: datetime) -> bool:
        """Whether a lead waiting since then has waited more than a business day of working
        time; the moment one business day has passed is kept per lead, so a pass over many
        waiting leads counts working time only for those past it."""
        key = (lead_id, since)
        if key not in self.stuck_after:
            day = self.business.business_day()
            self.stuck_after[key] = self.business.add_working_time(since, day)
        return now > self.stuck_after[key] and stuck_since(self.business, since, now)

    def first_due(
        self, offer: Offer, name: str, started: datetime, clock: Clock, rep: Rep
    ) -> datetime | None:
        """When the offer's next step on this clock falls due (kept until it moves on or the
        rep's calendar changes, so a pass over many offers stays cheap)."""
        done = offer.done.get(name, 0)
        key = (offer.assignment_id, name, done, self._calendar_key(rep))
        if key not in self.next_at:
            self.next_at[key] = next_due(clock, self.calendars(rep), started, done)
        return self.next_at[key]

    def _calendar_key(self, rep: Rep) -> tuple[Any, ...]:
        """What of a rep a due time depends on, as one tuple made once per ``Rep`` object (a
        changed rep is a new one) and shared by the keys of all its offers."""
        held = self.calendar_keys.get(id(rep))
        if held is None or held[0] is not rep:  # the object is held: its id is not reused
            if len(self.calendar_keys) > 10_000:
                self.calendar_keys.clear()
            calendar = (
                rep.time_zone,
                repr(rep.working_hours),
                rep.holiday_country,
                rep.holiday_subdivision,
            )
            held = self.calendar_keys[id(rep)] = (rep, calendar)
        return held[1]


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
    timers.forget_ended(state.offers, state.waiting)
    due = _earliest_step(state, timers, now)
    if due is not None:
        offer, clock_name, step, at = due
        await _take(offer, clock_name, step, at, uow, state, now, source, matching)
        return True
    for lead_id, waiting in state.waiting.items():
        if not waiting.alerted and timers.stuck(lead_id, waiting.since, now):
            alert = LeadEscalated(lead_id=lead_id, to="operations", reason=STUCK)
            await append_to_lead(uow, lead_id, [alert], source=source, now=now)
            return True
    return False


def _earliest_step(
    state: RoutingState, timers: Timers, now: datetime
) -> tuple[Offer, str, Step, datetime] | None:
    found: tuple[Offer, str, Step, datetime] | None = None
    for offer in state.offers.values():
        running = offer.clock
        rep = state.reps.get(offer.rep_id)
        if running is None or rep is None:
            continue
        name, started = running
        clock: Clock | None = getattr(timers.policy(offer.sla), name)
        if clock is None:
            continue
        first = timers.first_due(offer, name, started, clock, rep)
        if first is None or first > now or (found is not None and first >= found[3]):
            continue
        steps = steps_due(clock, timers.calendars(rep), started, offer.done.get(name, 0), now)
        if steps and (found is None or steps[0][1] < found[3]):
            found = (offer, name, *steps[0])
    return found


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
