"""Events the router publishes: rep configuration on conveyor.reps.v1, lead work on
conveyor.assignments.v1."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from conveyor.events.catalogue.topics import ASSIGNMENTS, DEALS, REPS
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.model import Event
from conveyor.events.registry import Registry

Role = Literal["hunter", "farmer", "team_lead"]


class _RepEvent(Event):
    topic: ClassVar[str] = REPS
    rep_id: str


class RepRegistered(_RepEvent):
    """A rep joined: who they are, what they do and where their app listens."""

    event_type: ClassVar[str] = "conveyor.rep.registered"
    name: str
    role: Role
    pools: tuple[str, ...] = ("default",)
    webhook_url: str | None = None
    time_zone: str = "UTC"
    active: bool = True
    settings: dict[str, Any] = Field(default_factory=dict)
    """Routing settings: territories, segments, product_lines, languages, working_hours
    ({"mon": [["09:00", "17:00"]], ...}), capacity ({per_day, per_week, max_open}), weight."""


class RepUpdated(_RepEvent):
    """Some of a rep's settings changed (any RepRegistered field or settings key)."""

    event_type: ClassVar[str] = "conveyor.rep.updated"
    changes: dict[str, Any]


class RepAvailabilityChanged(_RepEvent):
    """A rep became available or unavailable (leave, sickness, back)."""

    event_type: ClassVar[str] = "conveyor.rep.availability_changed"
    available: bool
    reason: str | None = None
    until: datetime | None = None


class RepAbsenceScheduled(_RepEvent):
    """The rep will be away (whole or partial days): no leads from starts_at to ends_at."""

    event_type: ClassVar[str] = "conveyor.rep.absence_scheduled"
    absence_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str = ""


class RepAbsenceCancelled(_RepEvent):
    """A scheduled absence was called off."""

    event_type: ClassVar[str] = "conveyor.rep.absence_cancelled"
    absence_id: str


class RepPlanSet(_RepEvent):
    """A manager set the rep's personal plan for a month: so many deals, so much revenue,
    or so much activity (contacts and meetings reported)."""

    event_type: ClassVar[str] = "conveyor.rep.plan_set"
    month: str
    metric: Literal["deals", "revenue", "activity"]
    target: Decimal
    currency: str | None = None
    set_by: str | None = None


class KeyAccountRegistered(Event):
    """A named account with an owner; leads from its domains, phones or name go to them."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.key_account.registered"
    account_id: str
    name: str
    owner_rep_id: str
    domains: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


class KeyAccountOwnerChanged(Event):
    """A key account has a new owner."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.key_account.owner_changed"
    account_id: str
    owner_rep_id: str


class RoutingPolicyDrafted(Event):
    """A version of the routing policy was drafted: stored, simulated, not yet in force."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.routing_policy.drafted"
    policy_version: int
    rules: tuple[dict[str, Any], ...]
    fallback: dict[str, Any] = Field(default_factory=dict)


class RoutingPolicyPublished(Event):
    """A version of the routing policy was published; it is in force from effective_at
    (None: from the moment of publishing)."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.routing_policy.published"
    policy_version: int
    rules: tuple[dict[str, Any], ...]
    fallback: dict[str, Any] = Field(default_factory=dict)
    effective_at: datetime | None = None


class RoutingPolicyRolledBack(Event):
    """The policy in force went back to an earlier version."""

    topic: ClassVar[str] = REPS
    event_type: ClassVar[str] = "conveyor.routing_policy.rolled_back"
    policy_version: int
    from_version: int
    effective_at: datetime


class _AssignmentEvent(Event):
    topic: ClassVar[str] = ASSIGNMENTS
    lead_id: str


class LeadAssigned(_AssignmentEvent):
    """The router offered the lead to a rep, and why."""

    event_type: ClassVar[str] = "conveyor.lead.assigned"
    assignment_id: str
    rep_id: str
    pool: str
    rule: str
    policy_version: int
    explanation: str
    rotation: int
    sla_due: datetime | None = None
    lead: LeadSnapshot
    strategy: str = "round_robin"
    counters_before: dict[str, int] = Field(default_factory=dict)
    counters_after: dict[str, int] = Field(default_factory=dict)
    floor_after: int | None = None
    decision: dict[str, Any] = Field(default_factory=dict)
    """The whole explanation: rules matched and missed, candidates and exclusions, tie-break."""
    decided_at: datetime | None = None
    key_account: dict[str, Any] | None = None
    qualification: dict[str, Any] = Field(default_factory=dict)
    """What intake's verdict said beside the lead (score, temperature, lead_type...)."""
    sla: dict[str, Any] | None = None
    """The SLA clocks and ladders this offer runs on (the rule's, else the policy's)."""


class LeadAccepted(_AssignmentEvent):
    """The rep took the lead."""

    event_type: ClassVar[str] = "conveyor.lead.accepted"
    assignment_id: str
    rep_id: str


class LeadDeclined(_AssignmentEvent):
    """The rep declined the lead, with a reason."""

    event_type: ClassVar[str] = "conveyor.lead.declined"
    assignment_id: str
    rep_id: str
    reason: str


class LeadSlaBreached(_AssignmentEvent):
    """The lead was not taken in time."""

    event_type: ClassVar[str] = "conveyor.lead.sla_breached"
    assignment_id: str
    rep_id: str
    due: datetime
    sla: str = "accept"
    """Which clock ran out: "accept" (take the lead) or "contact" (first contact)."""
    step: int | None = None
    """The ladder step this breach is (None: recorded before ladders existed)."""


class LeadReassigned(_AssignmentEvent):
    """The lead moved from one rep to another."""

    event_type: ClassVar[str] = "conveyor.lead.reassigned"
    from_rep_id: str
    to_rep_id: str
    """The rep offered the lead next ("" when nobody could take it: LeadUnroutable follows)."""
    reason: str
    assignment_id: str = ""
    """The assignment taken back."""
    sla: str | None = None
    step: int | None = None


class LeadEscalated(_AssignmentEvent):
    """The lead was escalated to someone responsible."""

    event_type: ClassVar[str] = "conveyor.lead.escalated"
    to: str
    reason: str
    assignment_id: str = ""
    rep_id: str = ""
    sla: str | None = None
    step: int | None = None
    notified: tuple[str, ...] = ()
    """The reps told (team leads of the rep's pools); empty: an operations alert only."""


class LeadUnroutable(_AssignmentEvent):
    """No rep could take the lead; it waits in the fallback queue."""

    event_type: ClassVar[str] = "conveyor.lead.unroutable"
    reason: str
    lead: LeadSnapshot
    policy_version: int = 0
    decision: dict[str, Any] = Field(default_factory=dict)
    decided_at: datetime | None = None
    qualification: dict[str, Any] = Field(default_factory=dict)


class DealWon(_AssignmentEvent):
    """The hunter closed the first deal."""

    topic: ClassVar[str] = DEALS
    event_type: ClassVar[str] = "conveyor.deal.won"
    assignment_id: str
    rep_id: str
    amount: Decimal
    currency: str
    won_at: datetime
    lead: LeadSnapshot
    products: tuple[str, ...] = ()
    account: dict[str, Any] = Field(default_factory=dict)
    """The customer account the deal opens (name, company id, anything the rep's app sends)."""


class DealLost(_AssignmentEvent):
    """The hunter lost the deal."""

    topic: ClassVar[str] = DEALS
    event_type: ClassVar[str] = "conveyor.deal.lost"
    assignment_id: str
    rep_id: str
    reason: str
    lost_at: datetime | None = None


class WebhookDelivered(_AssignmentEvent):
    """A rep's app acknowledged a webhook."""

    event_type: ClassVar[str] = "conveyor.webhook.delivered"
    assignment_id: str
    rep_id: str
    url: str
    status_code: int
    attempt: int
    message_id: str = ""
    """The webhook-id (stable across attempts)."""
    kind: str = "lead.assigned"
    duration_ms: float | None = None


class WebhookDeliveryFailed(_AssignmentEvent):
    """A webhook attempt failed."""

    event_type: ClassVar[str] = "conveyor.webhook.delivery_failed"
    assignment_id: str
    rep_id: str
    url: str
    error: str
    attempt: int
    message_id: str = ""
    kind: str = "lead.assigned"
    status_code: int | None = None
    next_attempt_at: datetime | None = None
    """When the next attempt is due (None: no more attempts; the message is dead-lettered)."""


def register(registry: Registry) -> None:
    """Add the router's events to a registry."""
    for model in (
        RepRegistered,
        RepUpdated,
        RepAvailabilityChanged,
        RepAbsenceScheduled,
        RepAbsenceCancelled,
        RepPlanSet,
        KeyAccountRegistered,
        KeyAccountOwnerChanged,
        RoutingPolicyDrafted,
        RoutingPolicyPublished,
        RoutingPolicyRolledBack,
        LeadAssigned,
        LeadAccepted,
        LeadDeclined,
        LeadSlaBreached,
        LeadReassigned,
        LeadEscalated,
        LeadUnroutable,
        DealWon,
        DealLost,
        WebhookDelivered,
        WebhookDeliveryFailed,
    ):
        registry.register(model)
