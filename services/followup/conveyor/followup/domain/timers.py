"""Timers: work that falls due at a moment, kept until the moment comes and it is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

TASK_DUE, TASK_OVERDUE, DORMANCY, NURTURE = "task_due", "task_overdue", "dormancy", "nurture"


@dataclass(frozen=True)
class Timer:
    """Something to do at due_at (UTC) on a stream, with what the firing needs to know."""

    timer_id: str
    kind: str
    stream_id: str
    due_at: datetime
    payload: dict[str, str] = field(default_factory=dict)
    correlation_id: str = ""
    causation_id: str | None = None


@lru_cache(maxsize=4096)
def start_of_day(day: date, time_zone: str) -> datetime:
    """The first moment of a calendar day in a time zone, in UTC (remembered: the timers of
    many tasks fall on few days, and a rebuild asks for two per task)."""
    return datetime.combine(day, time.min, ZoneInfo(time_zone)).astimezone(UTC)


def task_due_timer_id(task_id: str) -> str:
    """The id of the timer that marks a task due."""
    return f"{TASK_DUE}:{task_id}"


def task_overdue_timer_id(task_id: str) -> str:
    """The id of the timer that marks a task overdue."""
    return f"{TASK_OVERDUE}:{task_id}"


def dormancy_timer_id(account_id: str) -> str:
    """The id of the timer that sends a quiet account dormant (one per account)."""
    return f"{DORMANCY}:{account_id}"


def nurture_timer_id(lead_id: str) -> str:
    """The id of the timer that sends a nurtured lead back to intake (one per lead)."""
    return f"{NURTURE}:{lead_id}"
