"""Which events of followup's log become task webhooks, for whom, and what they say."""

from conveyor.events import Event, Recorded, new_envelope
from conveyor.events.catalogue.followup import (
    FollowUpCompleted,
    FollowUpDue,
    FollowUpOverdue,
)
from conveyor.followup.service_layer.messages import TaskBrief, messages_for, task_of

BASE = "https://followup.example"
TASK = TaskBrief(
    task_id="t-1",
    account_id="a-1",
    farmer_id="f-1",
    kind="reactivation",
    due_on="2025-03-11",
    notes="Offer WELCOME10",
    offer_code="WELCOME10",
    status="due",
)


def recorded(event: Event, position: int = 7) -> Recorded:
    return Recorded(
        new_envelope(event, subject="a-1", source="/conveyor/followup"), "a-1", 3, position
    )


def test_a_due_task_goes_to_its_farmer_with_what_they_need_and_where_to_complete_it() -> None:
    due = recorded(FollowUpDue(task_id="t-1", account_id="a-1"))
    [message] = messages_for(due, TASK, BASE)
    assert (message.endpoint_id, message.subject_id, message.reference_id) == ("f-1", "a-1", "t-1")
    assert (message.message_id, message.position, message.kind) == (due.envelope.id, 7, "task.due")
    assert message.body == {
        "type": "task.due",
        "task_id": "t-1",
        "account_id": "a-1",
        "farmer_id": "f-1",
        "kind": "reactivation",
        "due_on": "2025-03-11",
        "notes": "Offer WELCOME10",
        "offer_code": "WELCOME10",
        "links": {
            "complete": f"{BASE}/v1/tasks/t-1/complete",
            "tasks": f"{BASE}/v1/tasks?account_id=a-1",
            "account": f"{BASE}/v1/accounts/a-1",
        },
    }


def test_an_overdue_task_goes_to_the_team_lead_it_was_escalated_to() -> None:
    late = FollowUpOverdue(task_id="t-1", account_id="a-1", farmer_id="f-1", escalated_to="lead-1")
    [message] = messages_for(recorded(late), TASK, BASE)
    assert (message.endpoint_id, message.kind) == ("lead-1", "task.overdue")
    assert (message.body["farmer_id"], message.body["escalated_to"]) == ("f-1", "lead-1")


def test_an_overdue_task_without_a_team_lead_sends_nothing() -> None:
    late = FollowUpOverdue(task_id="t-1", account_id="a-1", farmer_id="f-1")
    assert messages_for(recorded(late), TASK, BASE) == []


def test_a_task_done_or_cancelled_before_its_message_is_queued_sends_nothing() -> None:
    due = recorded(FollowUpDue(task_id="t-1", account_id="a-1"))
    for status in ("done", "cancelled"):
        finished = TaskBrief(**{**TASK.__dict__, "status": status})
        assert messages_for(due, finished, BASE) == []


def test_other_events_send_nothing_and_name_no_task() -> None:
    done = recorded(FollowUpCompleted(task_id="t-1", account_id="a-1", outcome="no_need_now"))
    assert (messages_for(done, TASK, BASE), task_of(done)) == ([], None)
    assert task_of(recorded(FollowUpDue(task_id="t-1", account_id="a-1"))) == "t-1"
