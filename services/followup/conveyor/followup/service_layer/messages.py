"""What farmers' apps are told, as webhook messages (endpoint = farmer, subject = account,
reference = task): a task fell due (to its farmer), a task is overdue (to the farmer's team
lead). Each message carries only what its reader needs to do the task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conveyor.events import Recorded
from conveyor.events.catalogue.followup import FollowUpDue, FollowUpOverdue
from conveyor.webhooks.store import Message

TASK_DUE, TASK_OVERDUE = "task.due", "task.overdue"
FINISHED = frozenset({"done", "cancelled"})
TOLD = frozenset({FollowUpDue.event_type, FollowUpOverdue.event_type})
"""The event types some farmer or team lead is told of: ``messages_for`` gives nothing for
any other."""


@dataclass(frozen=True)
class TaskBrief:
    """A task as the tasks read model holds it when its message is queued."""

    task_id: str
    account_id: str
    farmer_id: str
    kind: str
    due_on: str
    notes: str
    offer_code: str | None
    status: str


def task_of(recorded: Recorded) -> str | None:
    """The task an event would send a message about, if any."""
    data = recorded.envelope.data
    return data.task_id if isinstance(data, FollowUpDue | FollowUpOverdue) else None


def messages_for(recorded: Recorded, task: TaskBrief | None, base_url: str) -> list[Message]:
    """The message an event of followup's log sends (none for most events, nor for a task
    done or cancelled before its message was queued)."""
    data = recorded.envelope.data
    if task is None or task.status in FINISHED:
        return []
    if isinstance(data, FollowUpDue):
        return [_message(recorded, task, task.farmer_id, _body(TASK_DUE, task, base_url))]
    if isinstance(data, FollowUpOverdue) and data.escalated_to:
        body = _body(TASK_OVERDUE, task, base_url) | {"escalated_to": data.escalated_to}
        return [_message(recorded, task, data.escalated_to, body)]
    return []


def _message(recorded: Recorded, task: TaskBrief, endpoint: str, body: dict[str, Any]) -> Message:
    return Message(
        message_id=recorded.envelope.id,
        endpoint_id=endpoint,
        subject_id=task.account_id,
        reference_id=task.task_id,
        kind=body["type"],
        body=body,
        position=recorded.position,
        correlation_id=recorded.envelope.correlation_id,
    )


def _body(message_type: str, task: TaskBrief, base_url: str) -> dict[str, Any]:
    """The task as its farmer's app needs it, and where to report its outcome."""
    return {
        "type": message_type,
        "task_id": task.task_id,
        "account_id": task.account_id,
        "farmer_id": task.farmer_id,
        "kind": task.kind,
        "due_on": task.due_on,
        "notes": task.notes,
        "offer_code": task.offer_code,
        "links": {
            "complete": f"{base_url}/v1/tasks/{task.task_id}/complete",
            "tasks": f"{base_url}/v1/tasks?account_id={task.account_id}",
            "account": f"{base_url}/v1/accounts/{task.account_id}",
        },
    }
