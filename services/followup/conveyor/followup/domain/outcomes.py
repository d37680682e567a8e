"""Outcomes of a farmer's task, and the task each one plans next."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date

from conveyor.followup.domain.calendar import add_business_days, next_business_day

REORDER_PLACED, NO_NEED_NOW, CALL_BACK, CHURN_RISK, LOST = (
    "reorder_placed",
    "no_need_now",
    "call_back",
    "churn_risk",
    "lost",
)
OUTCOMES = (REORDER_PLACED, NO_NEED_NOW, CALL_BACK, CHURN_RISK, LOST)
OPEN_STATES = frozenset({"open", "due", "overdue"})


@dataclass(frozen=True)
class NextTask:
    """The task an outcome plans."""

    kind: str
    due_on: date
    notes: str


def next_task(
    outcome: str, *, today: date, call_back_on: date | None, holidays: Container[date]
) -> NextTask | None:
    """call_back: a call on that day (next business day); churn_risk: a retention call
    the next business day; the other outcomes plan nothing."""
    if outcome == CALL_BACK:
        assert call_back_on is not None
        return NextTask("call_back", next_business_day(call_back_on, holidays), "Call back.")
    if outcome == CHURN_RISK:
        due = add_business_days(today, 1, holidays)
        return NextTask("retention_call", due, "Churn risk reported: call to keep the client.")
    return None


def overdue_on(due_on: date, grace_days: int, holidays: Container[date]) -> date:
    """The day a task not done becomes overdue: grace_days business days after its due day,
    then the next business day."""
    return add_business_days(due_on, grace_days + 1, holidays)
