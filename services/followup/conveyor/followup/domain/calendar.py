"""Business days: Monday to Friday, except the public holidays of the calendar in use."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, timedelta

SATURDAY = 5
NO_HOLIDAYS: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Place:
    """Where an account is, for its public holidays: an ISO 3166 country and subdivision."""

    country: str | None = None
    subdivision: str | None = None


@dataclass(frozen=True)
class FixedHolidays:
    """The same list of holidays wherever the account is."""

    days: frozenset[date] = NO_HOLIDAYS

    def holidays(self, place: Place) -> Container[date]:
        """The fixed days, whatever the place."""
        return self.days


NOWHERE = Place()
ONLY_FIXED = FixedHolidays()


def is_business_day(day: date, holidays: Container[date] = NO_HOLIDAYS) -> bool:
    """Whether the day is a working day (Monday to Friday, not a holiday)."""
    return day.weekday() < SATURDAY and day not in holidays


def add_business_days(day: date, n: int, holidays: Container[date] = NO_HOLIDAYS) -> date:
    """The date n business days after day, counted like a spreadsheet's WORKDAY (n >= 0)."""
    if n < 0:
        raise ValueError(f"cannot add a negative number of business days: {n}")
    for _ in range(n):
        day = next_business_day(day + timedelta(days=1), holidays)
    return day


def next_business_day(day: date, holidays: Container[date] = NO_HOLIDAYS) -> date:
    """The day itself if it is a business day, else the first business day after it."""
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return day


def business_days_between(start: date, end: date, holidays: Container[date] = NO_HOLIDAYS) -> int:
    """How many business days come after start, up to and including end."""
    days = (end - start).days
    return sum(is_business_day(start + timedelta(days=n), holidays) for n in range(1, days + 1))
