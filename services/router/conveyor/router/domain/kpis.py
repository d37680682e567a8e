"""The arithmetic of sales KPIs: percentiles, ratios, ABC and XYZ classes, calendar weeks
and working days of a month."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from statistics import fmean, pstdev

ABC_LIMITS = (Decimal("0.8"), Decimal("0.95"))
"""A: the accounts bringing the first 80% of revenue; B: the next 15%; C: the rest."""

XYZ_LIMITS = (0.10, 0.25)
"""X: monthly revenue varies by at most 10% (coefficient of variation); Y: up to 25%; Z: more."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (q in 0..100) of the values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ratio(part: float | Decimal, whole: float | Decimal) -> float | None:
    """part / whole rounded to four places; None when the whole is zero."""
    return round(float(part) / float(whole), 4) if whole else None


def abc_classes(revenues: Sequence[Decimal]) -> list[str]:
    """The ABC class of each revenue (given largest first): by the share of the total
    revenue the accounts before it already bring."""
    total, before, classes = sum(revenues, Decimal(0)), Decimal(0), []
    for revenue in revenues:
        share = before / total if total else Decimal(1)
        classes.append("A" if share < ABC_LIMITS[0] else "B" if share < ABC_LIMITS[1] else "C")
        before += revenue
    return classes


def xyz_class(monthly: Sequence[Decimal]) -> str:
    """The XYZ class of an account from its revenue in each month of the period."""
    values = [float(v) for v in monthly]
    mean = fmean(values) if values else 0.0
    if mean <= 0:
        return "Z"
    variation = pstdev(values) / mean
    return "X" if variation <= XYZ_LIMITS[0] else "Y" if variation <= XYZ_LIMITS[1] else "Z"


def months_between(start: date, end: date) -> list[str]:
    """The months (YYYY-MM) a period [start, end) touches."""
    months, day = [], start.replace(day=1)
    while day < end:
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def month_days(month: str) -> tuple[date, date]:
    """The first day of a month (YYYY-MM) and the first day of the next."""
    start = date.fromisoformat(f"{month}-01")
    return start, (start + timedelta(days=32)).replace(day=1)


def iso_week(day: date) -> str:
    """The ISO week of a day, as YYYY-Www."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_days(week: str) -> tuple[date, date]:
    """The Monday of an ISO week (YYYY-Www) and the Monday after."""
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    return monday, monday + timedelta(days=7)


def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days in [start, end)."""
    return sum((start + timedelta(days=n)).weekday() < 5 for n in range((end - start).days))
