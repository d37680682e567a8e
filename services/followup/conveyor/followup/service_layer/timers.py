"""Which events start and end timers, and what a timer appends when it fires."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, timedelta

from conveyor.events import Event, Recorded
from conveyor.events.catalogue.followup import (
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpDue,
    FollowUpOverdue,
    FollowUpScheduled,
)
from conveyor.followup.domain.cadence import next_occurrence
from conveyor.followup.domain.calendar import add_business_days, business_days_between
from conveyor.followup.domain.timers import (
    TASK_DUE,
    TASK_OVERDUE,
    Timer,
    start_of_day,
    task_due_timer_id,
    task_overdue_timer_id,
)

STARTING_TYPES = frozenset({FollowUpScheduled.event_type})
ENDING_TYPES = frozenset(
    {
        FollowUpDue.event_type,
        FollowUpCompleted.event_type,
        FollowUpCancelled.event_type,
        FollowUpOverdue.event_type,
    }
)


def timers_started_by(recorded: Recorded) -> list[Timer]:
    """The timers an event of followup's log starts: a task's due and overdue moments."""
    event, envelope = recorded.envelope.data, recorded.envelope
    if not isinstance(event, FollowUpScheduled):
        return []
    overdue = event.overdue_on or event.due_on + timedelta(days=1)
    return [
        Timer(
            timer_id=timer_id(event.task_id),
            kind=kind,
            stream_id=recorded.stream_id,
            due_at=start_of_day(day, event.time_zone),
            payload={"scheduled": event.model_dump_json()},
            correlation_id=envelope.correlation_id,
            causation_id=envelope.id,
        )
        for kind, timer_id, day in (
            (TASK_DUE, task_due_timer_id, event.due_on),
            (TASK_OVERDUE, task_overdue_timer_id, overdue),
        )
    ]


def timers_ended_by(event: Event) -> list[str]:
    """The ids of the timers an event fires or makes pointless."""
    if isinstance(event, FollowUpDue):
        return [task_due_timer_id(event.task_id)]
    if isinstance(event, FollowUpCompleted | FollowUpCancelled | FollowUpOverdue):
        return [task_due_timer_id(event.task_id), task_overdue_timer_id(event.task_id)]
    return []


def fire(
    timer: Timer, *, holidays: Collection[date] = (), team_lead: str | None = None
) -> list[Event]:
    """The events that record a timer's firing (they must end it)."""
    task = FollowUpScheduled.model_validate_json(timer.payload["scheduled"])
    if timer.kind == TASK_OVERDUE:
        return [overdue(task, team_lead)]
    if timer.kind != TASK_DUE:
        raise ValueError(f"no firing for timers of kind {timer.kind!r}")
    due: list[Event] = [FollowUpDue(task_id=task.task_id, account_id=task.account_id)]
    if task.every_days:
        due.append(next_time(task, holidays))
    return due


def overdue(task: FollowUpScheduled, team_lead: str | None) -> FollowUpOverdue:
    """The task passed its day (and grace) undone: escalated to the farmer's team lead."""
    return FollowUpOverdue(
        task_id=task.task_id,
        account_id=task.account_id,
        farmer_id=task.farmer_id,
        due_on=task.due_on,
        escalated_to=team_lead,
    )


def next_time(task: FollowUpScheduled, holidays: Collection[date]) -> FollowUpScheduled:
    """The next occurrence of a repeating task (its id derived from the one before)."""
    assert task.every_days
    next_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:task:{task.task_id}:next"))
    due_on = next_occurrence(task.due_on, task.every_days, holidays)
    grace = business_days_between(task.due_on, task.overdue_on, holidays) if task.overdue_on else 1
    overdue_on = add_business_days(due_on, grace, holidays)
    return task.model_copy(update={"task_id": next_id, "due_on": due_on, "overdue_on": overdue_on})
