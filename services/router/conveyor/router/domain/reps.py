"""A rep as the routing engine sees them: profile, hours, absences, capacity, weight."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Absence:
    """A period (whole or partial days) in which the rep takes no leads."""

    absence_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str = ""

    def covers(self, moment: datetime) -> bool:
        """Whether the moment falls inside the absence (start inclusive, end exclusive)."""
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True)
class Capacity:
    """Caps on leads offered: per local day, per local ISO week, and open at once."""

    per_day: int | None = None
    per_week: int | None = None
    max_open: int | None = None


@dataclass(frozen=True)
class Rep:
    """A rep's routing profile; settings absent mean "no restriction"."""

    rep_id: str
    name: str
    role: str
    pools: tuple[str, ...] = ("default",)
    webhook_url: str | None = None
    time_zone: str = "UTC"
    active: bool = True
    available: bool = True
    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    working_hours: Mapping[str, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    capacity: Capacity = Capacity()
    weight: int = 1
    absences: tuple[Absence, ...] = ()
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    webhook_status: str = "healthy"

    def changed(self, changes: Mapping[str, Any]) -> Rep:
        """A copy with settings changed (the shape RepUpdated carries)."""
        return replace(self, **parse_settings(changes))

    def local(self, moment: datetime) -> datetime:
        """The moment on the rep's wall clock (DST-aware)."""
        return moment.astimezone(ZoneInfo(self.time_zone))

    def absence_at(self, moment: datetime) -> Absence | None:
        """The absence covering the moment, if any."""
        return next((a for a in self.absences if a.covers(moment)), None)

    def working_at(self, moment: datetime) -> bool:
        """Whether the moment is inside the rep's working hours (no hours set: always)."""
        if not self.working_hours:
            return True
        local = self.local(moment)
        today = self.working_hours.get(WEEKDAYS[local.weekday()], ())
        yesterday = self.working_hours.get(WEEKDAYS[local.weekday() - 1], ())
        clock = local.time()
        return any(_inside(clock, start, end) for start, end in today) or any(
            clock < end for start, end in yesterday if end < start
        )

    def day_start(self, moment: datetime) -> datetime:
        """Midnight of the rep's local day containing the moment."""
        local = self.local(moment)
        return local.replace(hour=0, minute=0, second=0, microsecond=0)

    def week_start(self, moment: datetime) -> datetime:
        """Monday midnight of the rep's local ISO week containing the moment."""
        start = self.day_start(moment)
        return (start - timedelta(days=start.weekday())).replace(tzinfo=start.tzinfo)


def _inside(clock: time, start: time, end: time) -> bool:
    """Whether a wall time falls in a span that starts that day (it may run past midnight)."""
    return start <= clock < end if start < end else clock >= start


def parse_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Typed rep fields from the JSON settings that rep events carry."""
    parsed: dict[str, Any] = {}
    for key, value in settings.items():
        if key in ("pools", "territories", "segments", "product_lines", "languages"):
            parsed[key] = tuple(value)
        elif key == "working_hours":
            parsed[key] = _hours(value)
        elif key == "capacity":
            parsed[key] = Capacity(**value)
        elif key in ("name", "role", "time_zone", "active", "weight"):
            parsed[key] = value
        elif key in ("holiday_country", "holiday_subdivision"):
            parsed[key] = value or None
        elif key == "webhook_url":
            parsed |= {"webhook_url": value, "webhook_status": "healthy"}
    return parsed


def _hours(value: Mapping[str, Any]) -> dict[str, tuple[tuple[time, time], ...]]:
    return {
        day: tuple((_clock(start), _clock(end)) for start, end in spans)
        for day, spans in value.items()
    }


def _clock(text: str) -> time:
    if text == "24:00":
        return time.max
    return time.fromisoformat(text)
