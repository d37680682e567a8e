"""Which events start and end timers, and what a timer appends when it fires."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from conveyor.events import Event, Recorded
from conveyor.events.catalogue.followup import FollowUpCompleted, FollowUpDue, FollowUpScheduled
from conveyor.followup.domain.timers import TASK_DUE, Timer, start_of_day, task_due_timer_id


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
                payload={"task_id": event.task_id, "account_id": event.account_id},
                correlation_id=envelope.correlation_id,
                causation_id=envelope.id,
            )
        ]
    return []


def timers_ended_by(event: Event) -> list[str]:
    """The ids of the timers an event fires or makes pointless."""
    if isinstance(event, FollowUpDue | FollowUpCompleted):
        return [task_due_timer_id(event.task_id)]
    return []


def _task_due(timer: Timer) -> list[Event]:
    return [FollowUpDue(task_id=timer.payload["task_id"], account_id=timer.payload["account_id"])]


FIRINGS: Mapping[str, Callable[[Timer], list[Event]]] = {TASK_DUE: _task_due}

STARTING_TYPES = frozenset({FollowUpScheduled.event_type})
ENDING_TYPES = frozenset({FollowUpDue.event_type, FollowUpCompleted.event_type})


def fire(timer: Timer) -> list[Event]:
    """The events that record a timer's firing (they must end it)."""
    return FIRINGS[timer.kind](timer)
