"""Timers: when a task falls due, and what ends its timer."""

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from conveyor.events import new_envelope
from conveyor.events.catalogue.followup import (
    FollowUpCompleted,
    FollowUpDue,
    FollowUpOverdue,
    FollowUpScheduled,
)
from conveyor.events.model import Recorded
from conveyor.followup.adapters.timers import MOMENT, moment_text
from conveyor.followup.domain.timers import TASK_DUE, TASK_OVERDUE, start_of_day
from conveyor.followup.service_layer.firing import Firing, fire
from conveyor.followup.service_layer.timers import timers_ended_by, timers_started_by

from .fakes import moment


def scheduled(time_zone: str) -> Recorded:
    event = FollowUpScheduled(
        task_id="t-1",
        account_id="a-1",
        farmer_id="f-1",
        kind="onboarding_call",
        due_on=date(2025, 3, 11),
        time_zone=time_zone,
        overdue_on=date(2025, 3, 13),
    )
    return Recorded(new_envelope(event, subject="a-1", source="/conveyor/followup"), "a-1", 2, 9)


def test_a_day_starts_at_local_midnight() -> None:
    assert start_of_day(date(2025, 3, 11), "Europe/Berlin") == moment("2025-03-10T23:00:00")
    assert start_of_day(date(2025, 7, 1), "America/New_York") == moment("2025-07-01T04:00:00")


def test_a_scheduled_task_starts_timers_at_the_start_of_its_days_in_its_time_zone() -> None:
    recorded = scheduled("Europe/Berlin")
    due, overdue = timers_started_by(recorded)
    assert (due.kind, overdue.kind, due.stream_id) == (TASK_DUE, TASK_OVERDUE, "a-1")
    assert due.due_at == moment("2025-03-10T23:00:00")
    assert overdue.due_at == moment("2025-03-12T23:00:00")
    assert due.causation_id == recorded.envelope.id


def test_the_firing_of_a_due_timer_ends_it_and_leaves_the_overdue_one() -> None:
    due, _ = timers_started_by(scheduled("UTC"))
    [fired] = fire(due)
    assert fired == FollowUpDue(task_id="t-1", account_id="a-1")
    assert timers_ended_by(fired) == [due.timer_id]


def test_an_overdue_timer_escalates_to_the_team_lead_and_ends_both() -> None:
    due, overdue = timers_started_by(scheduled("UTC"))
    [fired] = fire(overdue, Firing(team_lead="lead-1"))
    assert fired == FollowUpOverdue(
        task_id="t-1",
        account_id="a-1",
        farmer_id="f-1",
        due_on=date(2025, 3, 11),
        escalated_to="lead-1",
    )
    assert timers_ended_by(fired) == [due.timer_id, overdue.timer_id]


def test_completing_a_task_ends_its_timers() -> None:
    due, overdue = timers_started_by(scheduled("UTC"))
    done = FollowUpCompleted(task_id="t-1", account_id="a-1", outcome="no_need_now")
    assert timers_ended_by(done) == [due.timer_id, overdue.timer_id]


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=5, minutes=30))]
        ),
    )
)
def test_a_moment_is_kept_as_sortable_utc_text_to_the_second(at: datetime) -> None:
    assert moment_text(at) == at.astimezone(UTC).strftime(MOMENT)
