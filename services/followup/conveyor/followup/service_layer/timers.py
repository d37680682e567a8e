"""Which events start and end timers, and what a timer appends when it fires."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from conveyor.events import Event, Recorded
from conveyor.events.catalogue.followup import (
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpDue,
    FollowUpScheduled,
)
from conveyor.followup.domain.cadence import next_occurrence
from conveyor.followup.domain.timers import TASK_DUE, Timer, start_of_day, task_due_timer_id

STARTING_TYPES = frozenset({FollowUpScheduled.event_type})
ENDING_TYPES = frozenset(
    {FollowUpDue.event_type, FollowUpCompleted.event_type, FollowUpCancelled.event_type}
)


def timers_started_by(recorded: Recorded) -> list[Timer]:
    """The timers an event of followup's log starts."""
    event, envelope = recorded.envelope.data, recorded.envelope
    if isinstance(event, FollowUpScheduled):
        return [
            Timer(
                timer_id=task_due_timer_id(event.task_id),
                kind=TASK_DUE,
                stream_id=recorded.stream_id,
                due_at=start_of_day(event.due_on, event.time_zone),
                payload={"scheduled": event.model_dump_json()},
                correlation_id=envelope.correlation_id,
                causation_id=envelope.id,
            )
        ]
    return []


def timers_ended_by(event: Event) -> list[str]:
    """The ids of the timers an event fires or makes pointless."""
    if isinstance(event, FollowUpDue | FollowUpCompleted | FollowUpCancelled):
        return [task_due_timer_id(event.task_id)]
    return []


def fire(timer: Timer, *, holidays: Collection[date] = ()) -> list[Event]:
    """The events that record a timer's firing (they must end it)."""
    if timer.kind != TASK_DUE:
        raise ValueError(f"no firing for timers of kind {timer.kind!r}")
    task = FollowUpScheduled.model_validate_json(timer.payload["scheduled"])
    due: list[Event] = [FollowUpDue(task_id=task.task_id, account_id=task.account_id)]
    if task.every_days:
        due.append(next_time(task, holidays))
    return due


def next_time(task: FollowUpScheduled, holidays: Collection[date]) -> FollowUpScheduled:
    """The next occurrence of a repeating task (its id derived from the one before)."""
    assert task.every_days
    next_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:task:{task.task_id}:next"))
    due_on = next_occurrence(task.due_on, task.every_days, holidays)
    return task.model_copy(update={"task_id": next_id, "due_on": due_on})
