"""Reps' personal plans: set by a manager per month (deals, revenue or activity), set
against what the rep did, per month and per ISO week, and reconciled week by week."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from conveyor.events.catalogue.router import RepPlanSet
from conveyor.router.domain.kpis import iso_week, month_days, ratio, week_days, working_days
from conveyor.router.service_layer.handlers import append_to_rep
from conveyor.router.service_layer.kpi_scope import Tables, Viewer, within
from conveyor.router.service_layer.ports import UnitOfWork


async def set_plan(plan: RepPlanSet, uow: UnitOfWork, *, source: str, now: datetime) -> bool:
    """Record the plan unless the rep's plan for that month is already exactly this one;
    returns whether it changed."""
    current = None
    for recorded in await uow.stream(plan.rep_id):
        data = recorded.envelope.data
        if isinstance(data, RepPlanSet) and data.month == plan.month:
            current = data
    same = ("metric", "target", "currency")
    if current is not None and all(getattr(current, f) == getattr(plan, f) for f in same):
        return False
    await append_to_rep(plan.rep_id, plan, uow, source=source, now=now)
    return True


def actual(tables: Tables, rep_id: str, metric: str, start: date, end: date) -> Decimal:
    """What the rep did in [start, end): deals won (first deals and repeat orders), their
    revenue, or activity (contacts and meetings reported, follow-up tasks completed)."""
    if metric in ("deals", "revenue"):
        orders = [
            o
            for o in tables["orders"]
            if o["rep_id"] == rep_id and within(o["ordered_at"], start, end)
        ]
        if metric == "deals":
            return Decimal(len(orders))
        return sum((Decimal(o["amount"]) for o in orders), Decimal(0))
    steps = sum(
        within(o[c], start, end)
        for o in tables["offers"]
        if o["rep_id"] == rep_id
        for c in ("contacted_at", "meeting_at")
    )
    tasks = sum(
        within(t["completed_at"], start, end) for t in tables["tasks"] if t["farmer_id"] == rep_id
    )
    return Decimal(steps + tasks)


def plans(
    tables: Tables, month: str, visible: Viewer, reps: dict[str, frozenset[str]]
) -> list[dict[str, Any]]:
    """Each visible rep's plan for the month against the actual, month and weeks."""
    start, end = month_days(month)
    rows = []
    for plan in sorted(tables["plans"], key=lambda p: p["rep_id"]):
        if plan["month"] != month or not visible.sees_rep(
            plan["rep_id"], reps.get(plan["rep_id"], frozenset())
        ):
            continue
        done = actual(tables, plan["rep_id"], plan["metric"], start, end)
        target = Decimal(plan["target"])
        weeks = [
            {
                "week": week,
                "actual": str(
                    actual(tables, plan["rep_id"], plan["metric"], max(a, start), min(b, end))
                ),
            }
            for week, (a, b) in _weeks(start, end)
        ]
        rows.append(
            {
                "rep_id": plan["rep_id"],
                "month": month,
                "metric": plan["metric"],
                "target": plan["target"],
                "currency": plan["currency"],
                "actual": str(done),
                "attainment": ratio(done, target),
                "weeks": weeks,
            }
        )
    return rows


def _weeks(start: date, end: date) -> list[tuple[str, tuple[date, date]]]:
    """The ISO weeks touching [start, end), each with its Monday and the Monday after."""
    weeks, day = [], start - timedelta(days=start.weekday())
    while day < end:
        weeks.append((iso_week(day), (max(day, start), min(day + timedelta(days=7), end))))
        day += timedelta(days=7)
    return weeks


def reconciliation(
    tables: Tables, week: str, visible: Viewer, reps: dict[str, frozenset[str]]
) -> list[dict[str, Any]]:
    """For an ISO week: each plan's share of the week (by working days in the month), what
    the rep did that week, and the gap."""
    monday, next_monday = week_days(week)
    month = (monday + timedelta(days=3)).isoformat()[:7]
    start, end = month_days(month)
    a, b = max(monday, start), min(next_monday, end)
    share = Decimal(working_days(a, b)) / Decimal(working_days(start, end) or 1)
    rows = []
    for plan in plans(tables, month, visible, reps):
        target = (Decimal(plan["target"]) * share).quantize(Decimal("0.01"))
        done = actual(tables, plan["rep_id"], plan["metric"], a, b)
        rows.append(
            {
                "rep_id": plan["rep_id"],
                "week": week,
                "month": month,
                "metric": plan["metric"],
                "week_target": str(target),
                "actual": str(done),
                "gap": str(done - target),
            }
        )
    return rows
