"""Business days: Monday to Friday (public holidays come later)."""

from __future__ import annotations

from datetime import date, timedelta

SATURDAY = 5


def is_business_day(day: date) -> bool:
    """Whether the day is a working day (Monday to Friday)."""
    return day.weekday() < SATURDAY


def add_business_days(day: date, n: int) -> date:
    """The date n business days after day, counted like a spreadsheet's WORKDAY (n >= 0)."""
    if n < 0:
        raise ValueError(f"cannot add a negative number of business days: {n}")
    for _ in range(n):
        day += timedelta(days=1)
        while not is_business_day(day):
            day += timedelta(days=1)
    return day
