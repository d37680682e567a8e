"""Which events start and end timers (firing them is service_layer.firing)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from conveyor.events import Event, Recorded
from conveyor.events.catalogue.followup import (
    AccountWatched,
    AccountWentDormant,
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpDue,
    FollowUpOverdue,
    FollowUpScheduled,
    NurtureEnded,
    NurtureRecheckDue,
    NurtureRecheckScheduled,
)
from conveyor.events.codec import data_json_of
from conveyor.followup.domain.timers import (
    DORMANCY,
    NURTURE,
    TASK_DUE,
    TASK_OVERDUE,
    Timer,
    dormancy_timer_id,
    nurture_timer_id,
    start_of_day,
    task_due_timer_id,
    task_overdue_timer_id,
)

STARTING_TYPES = frozenset(
    {
        FollowUpScheduled.event_type,
        AccountWatched.event_type,
        NurtureRecheckScheduled.event_type,
    }
)
ENDING_TYPES = frozenset(
    {
        FollowUpDue.event_type,
        FollowUpCompleted.event_type,
        FollowUpCancelled.event_type,
        FollowUpOverdue.event_type,
        AccountWentDormant.event_type,
        NurtureRecheckDue.event_type,
        NurtureEnded.event_type,
    }
)


def timers_started_by(recorded: Recorded) -> list[Timer]:
    """The timers an event starts (a timer with the same id, if pending, is replaced)."""
    event, envelope = recorded.envelope.data, recorded.envelope
    if isinstance(event, NurtureRecheckScheduled):
        payload = {"lead_id": event.lead_id, "reasons": "\n".join(event.reasons)}
        starts = [(NURTURE, nurture_timer_id(event.lead_id), event.recheck_at, payload)]
    elif isinstance(event, AccountWatched):
        due_at = start_of_day(event.dormant_on, event.time_zone)
        payload = {"watched": data_json_of(envelope)}
        starts = [(DORMANCY, dormancy_timer_id(event.account_id), due_at, payload)]
    elif isinstance(event, FollowUpScheduled):
        overdue = event.overdue_on or event.due_on + timedelta(days=1)
        payload = {"scheduled": data_json_of(envelope)}
        starts = [
            (TASK_DUE, task_due_timer_id(event.task_id), _day(event.due_on, event), payload),
            (TASK_OVERDUE, task_overdue_timer_id(event.task_id), _day(overdue, event), payload),
        ]
    else:
        return []
    return [
        Timer(
            timer_id,
            kind,
            recorded.stream_id,
            due_at,
            payload,
            envelope.correlation_id,
            envelope.id,
        )
        for kind, timer_id, due_at, payload in starts
    ]


def _day(day: date, event: FollowUpScheduled) -> datetime:
    return start_of_day(day, event.time_zone)


def timers_ended_by(event: Event) -> list[str]:
    """The ids of the timers an event fires or makes pointless."""
    if isinstance(event, FollowUpDue):
        return [task_due_timer_id(event.task_id)]
    if isinstance(event, FollowUpCompleted | FollowUpCancelled | FollowUpOverdue):
        return [task_due_timer_id(event.task_id), task_overdue_timer_id(event.task_id)]
    if isinstance(event, AccountWentDormant):
        return [dormancy_timer_id(event.account_id)]
    if isinstance(event, NurtureRecheckDue | NurtureEnded):
        return [nurture_timer_id(event.lead_id)]
    return []
