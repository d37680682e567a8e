"""Who may take a lead now: active, available, present, at work, in scope, under every cap."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from conveyor.router.domain.calendar import WorkingCalendar
from conveyor.router.domain.fields import field_value, values_of
from conveyor.router.domain.load import RepLoad
from conveyor.router.domain.reps import Rep

OUTSIDE_HOURS = "outside working hours"
Scope = Mapping[str, tuple[str, list[str]]]  # rep attribute -> (lead field, its values)


def exclusion(
    rep: Rep,
    load: RepLoad,
    now: datetime,
    *,
    lead: Mapping[str, Any],
    match_rep: Mapping[str, str],
) -> str | None:
    """Why the rep cannot take the lead now, or None when they can."""
    return excluded(rep, load, now, lead_scope(lead, match_rep))


def lead_scope(lead: Mapping[str, Any], match_rep: Mapping[str, str]) -> Scope:
    """The lead's values for each rep attribute a rule matches on (read once per lead)."""
    return {attr: (path, values_of(field_value(lead, path))) for attr, path in match_rep.items()}


def excluded(
    rep: Rep, load: RepLoad, now: datetime, scope: Scope, *, hours: bool = True
) -> str | None:
    """Why the rep cannot take the lead now (scope from ``lead_scope``), or None; with
    ``hours=False`` working hours are not asked (the next-window rule asks them apart)."""
    return (
        _presence(rep, now)
        or _scope(rep, scope)
        or (_hours(rep, now) if hours else None)
        or capacity_reached(rep, load, now)
    )


def next_window(rep: Rep, now: datetime) -> datetime | None:
    """The first moment, from now on, at which the rep is at work and not absent (None:
    no working time within a year)."""
    calendar = WorkingCalendar(rep.time_zone, rep.working_hours)
    moment = now
    for _ in range(len(rep.absences) + 1):
        try:
            moment = calendar.add_working_time(moment, timedelta(0))
        except ValueError:
            return None
        absence = rep.absence_at(moment)
        if absence is None:
            return moment
        moment = absence.ends_at
    return None


def local_time(rep: Rep, moment: datetime) -> str:
    """A moment on the rep's clock in words: "Mon 09:00 Europe/Berlin"."""
    return f"{rep.local(moment):%a %H:%M} {rep.time_zone}"


def _presence(rep: Rep, now: datetime) -> str | None:
    if not rep.active:
        return "inactive"
    if not rep.available:
        return "unavailable"
    if rep.webhook_status != "healthy":
        return f"webhook endpoint {rep.webhook_status}"
    if (absence := rep.absence_at(now)) is not None:
        reason = f" ({absence.reason})" if absence.reason else ""
        return f"absent until {absence.ends_at.isoformat()}{reason}"
    return None


def _hours(rep: Rep, now: datetime) -> str | None:
    if rep.working_at(now):
        return None
    return f"{OUTSIDE_HOURS} ({local_time(rep, now)})"


def _scope(rep: Rep, scope: Scope) -> str | None:
    for attribute, (path, wanted) in scope.items():
        held: tuple[str, ...] = getattr(rep, attribute)
        if not any(_covers(entry, value) for entry in held for value in wanted):
            shown = ", ".join(wanted) or "none"
            return f"not in {attribute} ({path}={shown}; rep has [{', '.join(held)}])"
    return None


def _covers(entry: str, value: str) -> bool:
    """A rep's entry covers a lead value exactly, or as a prefix when it ends in '*'."""
    entry, value = entry.casefold(), value.casefold()
    return value.startswith(entry[:-1]) if entry.endswith("*") else entry == value


def capacity_reached(rep: Rep, load: RepLoad, now: datetime) -> str | None:
    """Which cap the rep has reached, or None."""
    cap = rep.capacity
    if cap.max_open is not None and len(load.open_leads) >= cap.max_open:
        return f"open leads cap reached ({len(load.open_leads)}/{cap.max_open})"
    if cap.per_day is not None:  # counted only for a cap set: most reps have none
        day = rep.day_start(now)
        today = load.offered_between(day, day + timedelta(days=1))
        if today >= cap.per_day:
            return f"daily cap reached ({today}/{cap.per_day})"
    if cap.per_week is not None:
        week = rep.week_start(now)
        this_week = load.offered_between(week, week + timedelta(days=7))
        if this_week >= cap.per_week:
            return f"weekly cap reached ({this_week}/{cap.per_week})"
    return None
