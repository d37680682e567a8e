"""What reps' apps are told, as webhook messages (endpoint = rep, subject = lead,
reference = assignment): a lead offered, a lead taken back, a
reminder, a lead waiting on a team lead. Each message carries only what its rep needs."""

from __future__ import annotations

import uuid
from typing import Any

from conveyor.events import Recorded
from conveyor.events.catalogue.delivery import LeadReminded, TeamLeadNotified
from conveyor.events.catalogue.router import LeadAssigned, LeadReassigned
from conveyor.webhooks.store import Message

TOLD = frozenset(
    t.event_type for t in (LeadAssigned, LeadReassigned, LeadReminded, TeamLeadNotified)
)
"""The event types some rep is told of: ``messages_for`` gives nothing for any other."""


def messages_for(recorded: Recorded, base_url: str) -> list[Message]:
    """The messages an event of the router's log sends (none for most events)."""
    data, event_id = recorded.envelope.data, recorded.envelope.id
    if isinstance(data, LeadAssigned):
        body = _offer(data, base_url)
        return [_message(recorded, data.rep_id, data.assignment_id, "lead.assigned", body)]
    if isinstance(data, LeadReassigned) and data.assignment_id:
        body = _about(data.assignment_id, data.lead_id, base_url, reason=data.reason)
        body = {"type": "lead.withdrawn", **body}
        return [_message(recorded, data.from_rep_id, data.assignment_id, "lead.withdrawn", body)]
    if isinstance(data, LeadReminded):
        body = {"type": "lead.reminder", **_about(data.assignment_id, data.lead_id, base_url)}
        body["due"] = data.due.isoformat()
        return [_message(recorded, data.rep_id, data.assignment_id, "lead.reminder", body)]
    if isinstance(data, TeamLeadNotified):
        return [
            _message(
                recorded,
                lead,
                data.assignment_id,
                "lead.escalated",
                _escalation(data, base_url),
                n,
                str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event_id}:{lead}")),
            )
            for n, lead in enumerate(data.team_leads)
        ]
    return []


def _message(
    recorded: Recorded,
    rep_id: str,
    assignment_id: str,
    kind: str,
    body: dict[str, Any],
    recipient: int = 0,
    message_id: str | None = None,
) -> Message:
    data = recorded.envelope.data
    return Message(
        message_id=message_id or recorded.envelope.id,
        endpoint_id=rep_id,
        subject_id=str(getattr(data, "lead_id", "")),
        reference_id=assignment_id,
        kind=kind,
        body=body,
        position=recorded.position,
        recipient=recipient,
        correlation_id=recorded.envelope.correlation_id,
    )


def _offer(offer: LeadAssigned, base_url: str) -> dict[str, Any]:
    """A lead offered: the lead as intake took it in, why this rep, where to answer."""
    return {
        "type": "lead.assigned",
        **_about(offer.assignment_id, offer.lead_id, base_url),
        "rep_id": offer.rep_id,
        "explanation": offer.explanation,
        "lead": offer.lead.model_dump(mode="json"),
    }


def _escalation(event: TeamLeadNotified, base_url: str) -> dict[str, Any]:
    return {
        "type": "lead.escalated",
        "assignment_id": event.assignment_id,
        "lead_id": event.lead_id,
        "rep_id": event.rep_id,
        "sla": event.sla,
        "due": event.due.isoformat(),
    }


def _about(assignment_id: str, lead_id: str, base_url: str, **extra: Any) -> dict[str, Any]:
    link = f"{base_url}/v1/assignments/{assignment_id}"
    links = {
        "assignment": link,
        "accept": f"{link}/accept",
        "decline": f"{link}/decline",
        "outcomes": f"{link}/outcomes",
        "won": f"{link}/won",
    }
    return {"assignment_id": assignment_id, "lead_id": lead_id, **extra, "links": links}
