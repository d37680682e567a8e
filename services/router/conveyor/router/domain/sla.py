"""Service levels for an offered lead: accept in N working minutes, contact in M, with a ladder.

The accept clock starts when the lead is offered, the contact clock when the rep accepts.
Each clock has its ladder (remind, notify the team lead, re-route, escalate) and an implicit
``breach`` step at its deadline; minutes are working minutes on the rep's calendar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from conveyor.router.domain.calendar import WorkingCalendar

ACTIONS = ("remind", "notify_team_lead", "reroute", "escalate")
BREACH = "breach"
CLOCKS = ("accept", "contact")
MAX_MINUTES = 366 * 24 * 60


class SlaError(ValueError):
    """An SLA that cannot be used as written; names the field (dotted path) and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Step:
    """One rung of a ladder: an action due ``at`` working time after the clock started."""

    index: int
    at: timedelta
    action: str


@dataclass(frozen=True)
class Clock:
    """A deadline (``within``) and the steps in time order, the ``breach`` step included."""

    within: timedelta
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class SlaPolicy:
    """The accept and contact clocks; None switches a clock off."""

    accept: Clock | None
    contact: Clock | None


def make_clock(within_minutes: float, ladder: list[tuple[float, str]]) -> Clock:
    """A clock from its deadline and ladder steps (minutes, action), the breach step added."""
    rungs = [(timedelta(minutes=within_minutes), 0, BREACH)]
    rungs += [(timedelta(minutes=at), 1, action) for at, action in ladder]
    ordered = sorted(rungs, key=lambda rung: (rung[0], rung[1]))
    steps = tuple(Step(index, at, action) for index, (at, _, action) in enumerate(ordered))
    return Clock(timedelta(minutes=within_minutes), steps)


DEFAULT_SLA = SlaPolicy(
    accept=make_clock(60, [(30, "remind"), (60, "notify_team_lead"), (60, "reroute")]),
    contact=make_clock(480, [(480, "notify_team_lead"), (960, "escalate")]),
)


def sla_from_dict(data: Mapping[str, Any] | None, *, path: str = "sla") -> SlaPolicy:
    """An SLA policy from its JSON shape; None means the default, a missing clock is off.

    Errors name the field under ``path`` (``rules[2].sla`` names a rule's own SLA).
    """
    if data is None:
        return DEFAULT_SLA
    if not isinstance(data, Mapping):
        raise SlaError(path, "must be an object with accept and/or contact")
    for key in data:
        if key not in CLOCKS:
            raise SlaError(f"{path}.{key}", "unknown clock; expected accept or contact")
    accept, contact = (_clock(data.get(name), f"{path}.{name}") for name in CLOCKS)
    return SlaPolicy(accept=accept, contact=contact)


def _clock(data: Any, path: str) -> Clock | None:
    if data is None:
        return None
    _object(data, path, ("within_minutes", "ladder"))
    if "within_minutes" not in data:
        raise SlaError(f"{path}.within_minutes", "is required")
    within = _minutes(data["within_minutes"], f"{path}.within_minutes", allow_zero=False)
    ladder = data.get("ladder", [])
    if not isinstance(ladder, list | tuple):
        raise SlaError(f"{path}.ladder", "must be a list of steps")
    rungs = [_rung(step, f"{path}.ladder[{i}]") for i, step in enumerate(ladder)]
    for i, rung in enumerate(rungs):
        if rung in rungs[:i]:
            raise SlaError(f"{path}.ladder[{i}]", f"repeats {rung[1]} at {rung[0]:g} minutes")
    return make_clock(within, rungs)


def _rung(data: Any, path: str) -> tuple[float, str]:
    _object(data, path, ("at_minutes", "action"))
    for key in ("at_minutes", "action"):
        if key not in data:
            raise SlaError(f"{path}.{key}", "is required")
    if data["action"] not in ACTIONS:
        raise SlaError(f"{path}.action", f"must be one of {', '.join(ACTIONS)}")
    return _minutes(data["at_minutes"], f"{path}.at_minutes", allow_zero=True), data["action"]


def _object(data: Any, path: str, keys: tuple[str, ...]) -> None:
    if not isinstance(data, Mapping):
        raise SlaError(path, f"must be an object with {', '.join(keys)}")
    for key in data:
        if key not in keys:
            raise SlaError(f"{path}.{key}", f"unknown field; expected {', '.join(keys)}")


def _minutes(value: Any, path: str, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SlaError(path, "must be a number of working minutes")
    if value < 0 or (value == 0 and not allow_zero):
        raise SlaError(path, "must be at least 0" if allow_zero else "must be more than 0")
    if value > MAX_MINUTES:
        raise SlaError(path, f"must be at most {MAX_MINUTES} (366 days)")
    return float(value)


def due_at(clock: Clock, calendar: WorkingCalendar, started: datetime, step: Step) -> datetime:
    """When the step falls due: its working time after the clock started, on the calendar."""
    if step not in clock.steps:
        raise ValueError(f"step {step.index} ({step.action}) is not a step of this clock")
    return calendar.add_working_time(started, step.at)


def steps_due(
    clock: Clock, calendar: WorkingCalendar, started: datetime, done: int, now: datetime
) -> list[tuple[Step, datetime]]:
    """The steps not yet done (index >= done) that are due by now, in order, with their times."""
    due: list[tuple[Step, datetime]] = []
    for step in clock.steps[_checked(done) :]:
        moment = calendar.add_working_time(started, step.at)
        if moment > now:
            break
        due.append((step, moment))
    return due


def next_due(
    clock: Clock, calendar: WorkingCalendar, started: datetime, done: int
) -> datetime | None:
    """When the first step not yet done falls due; None when every step is done."""
    if _checked(done) >= len(clock.steps):
        return None
    return calendar.add_working_time(started, clock.steps[done].at)


def _checked(done: int) -> int:
    if done < 0:
        raise ValueError(f"the number of steps done cannot be negative, got {done}")
    return done


def stuck_since(calendar: WorkingCalendar, offered_first: datetime, now: datetime) -> bool:
    """Whether a lead first offered then has waited more than one business day of working time."""
    return calendar.working_time_between(offered_first, now) > calendar.business_day()
