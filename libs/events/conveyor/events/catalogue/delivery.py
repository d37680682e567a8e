"""Events of delivery to reps' apps: credentials, webhook endpoints and messages, the
accept handshake, outcomes and SLA ladder steps (published by the router)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from conveyor.events.catalogue.topics import ASSIGNMENTS, REPS
from conveyor.events.model import Event
from conveyor.events.registry import Registry

EndpointStatus = Literal["healthy", "unhealthy", "disabled"]


class RepKeyIssued(Event):
    """A rep's app got an API key (only its hash is kept)."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.rep.key_issued"
    rep_id: str
    key_id: str
    key_hash: str


class RepKeyRevoked(Event):
    """A rep's API key no longer works."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.rep.key_revoked"
    rep_id: str
    key_id: str


class RepWebhookSecretRotated(Event):
    """A rep's endpoint got a new signing secret; the previous one signs too until
    ``previous_expires_at`` (the secrets themselves never enter the log)."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.rep.webhook_secret_rotated"
    rep_id: str
    secret_id: str
    previous_expires_at: datetime | None = None


class RepWebhookStatusChanged(Event):
    """A rep's endpoint became unhealthy (failing), disabled (410 Gone) or healthy again;
    reps whose endpoint is not healthy get no new leads."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.rep.webhook_status_changed"
    rep_id: str
    status: EndpointStatus
    reason: str
    url: str = ""


class _LeadWork(Event):
    topic: ClassVar[str] = ASSIGNMENTS
    lead_id: str
    assignment_id: str
    rep_id: str


class LeadContacted(_LeadWork):
    """The rep reached the lead for the first time."""

    event_type: ClassVar[str] = "conveyor.lead.contacted"
    contacted_at: datetime


class LeadMeetingSet(_LeadWork):
    """The rep set a meeting with the lead."""

    event_type: ClassVar[str] = "conveyor.lead.meeting_set"
    meeting_at: datetime | None = None


class LeadReminded(_LeadWork):
    """An SLA ladder step reminded the rep of a lead waiting for them."""

    event_type: ClassVar[str] = "conveyor.lead.reminded"
    sla: str
    step: int
    due: datetime


class TeamLeadNotified(_LeadWork):
    """An SLA ladder step told the rep's team leads about a lead waiting too long."""

    event_type: ClassVar[str] = "conveyor.lead.team_lead_notified"
    sla: str
    step: int
    due: datetime
    team_leads: tuple[str, ...] = ()


class WebhookDeadLettered(_LeadWork):
    """A webhook message ran out of attempts (or its endpoint was disabled); an operator
    can list and replay it."""

    event_type: ClassVar[str] = "conveyor.webhook.dead_lettered"
    message_id: str
    kind: str
    attempts: int
    error: str


class WebhookReplayed(_LeadWork):
    """An operator sent a dead-lettered message again."""

    event_type: ClassVar[str] = "conveyor.webhook.replayed"
    message_id: str
    kind: str


def register(registry: Registry) -> None:
    """Add the delivery events to a registry."""
    for model in (
        RepKeyIssued,
        RepKeyRevoked,
        RepWebhookSecretRotated,
        RepWebhookStatusChanged,
        LeadContacted,
        LeadMeetingSet,
        LeadReminded,
        TeamLeadNotified,
        WebhookDeadLettered,
        WebhookReplayed,
    ):
        registry.register(model)
