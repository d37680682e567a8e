"""Events followup publishes on conveyor.followups.v1."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from conveyor.events.catalogue.topics import FOLLOWUPS
from conveyor.events.model import Event
from conveyor.events.registry import Registry


class _FollowupEvent(Event):
    topic: ClassVar[str] = FOLLOWUPS


class FarmerEnrolled(_FollowupEvent):
    """A farmer (account manager) can now take accounts into a portfolio."""

    event_type: ClassVar[str] = "conveyor.farmer.enrolled"
    farmer_id: str
    name: str
    webhook_url: str | None = None
    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    time_zone: str = "UTC"
    team_lead_id: str | None = None


class FarmerPortfolioChanged(_FollowupEvent):
    """The rules of a farmer's portfolio were set: what they take, how many, who leads them."""

    event_type: ClassVar[str] = "conveyor.farmer.portfolio_changed"
    farmer_id: str
    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    cap: int | None = None
    team_lead_id: str | None = None


class RepCredentialIssued(_FollowupEvent):
    """A rep got a new credential for followup's API (replacing any before it)."""

    event_type: ClassVar[str] = "conveyor.rep.credential_issued"
    rep_id: str
    key_id: str
    key_hash: str


class AccountHandedOver(_FollowupEvent):
    """After the first deal, the hunter handed the account to a farmer (country and
    subdivision: where the client is, whose public holidays its plan skips)."""

    event_type: ClassVar[str] = "conveyor.account.handed_over"
    account_id: str
    lead_id: str
    hunter_id: str
    farmer_id: str
    reason: str
    rule: str = ""
    reasons: tuple[str, ...] = ()
    client_key: str | None = None
    company: str | None = None
    territories: tuple[str, ...] = ()
    segment: str | None = None
    product_lines: tuple[str, ...] = ()
    country: str | None = None
    subdivision: str | None = None


class AccountReassigned(_FollowupEvent):
    """The account moved to another farmer (its farmer left or went on long leave)."""

    event_type: ClassVar[str] = "conveyor.account.reassigned"
    account_id: str
    from_farmer_id: str
    to_farmer_id: str
    reason: str
    rule: str = ""
    reasons: tuple[str, ...] = ()


class FarmerAvailabilityChanged(_FollowupEvent):
    """A farmer can (again) or can no longer take accounts: leave, return, departure."""

    event_type: ClassVar[str] = "conveyor.farmer.availability_changed"
    farmer_id: str
    available: bool
    reason: str | None = None
    until: datetime | None = None


class FollowUpScheduled(_FollowupEvent):
    """A follow-up task was put in a farmer's plan."""

    event_type: ClassVar[str] = "conveyor.followup.scheduled"
    task_id: str
    account_id: str
    farmer_id: str
    kind: str
    due_on: date
    notes: str = ""
    time_zone: str = "UTC"
    cadence_id: str | None = None
    cadence_version: int | None = None
    step: int | None = None
    every_days: int | None = None
    overdue_on: date | None = None
    offer_code: str | None = None


class FollowUpCancelled(_FollowupEvent):
    """A task was taken out of the plan before it was done (its plan changed, say)."""

    event_type: ClassVar[str] = "conveyor.followup.cancelled"
    task_id: str
    account_id: str
    reason: str


class CadenceStep(BaseModel):
    """One task of a cadence: after_days from the start, in business or calendar days
    (then the next business day), repeated every every_days calendar days if set."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: str
    after_days: int
    count: Literal["business_days", "calendar_days"] = "business_days"
    every_days: int | None = None
    script: str = ""


class CadencePublished(_FollowupEvent):
    """A new version of a follow-up plan, for a product line, a segment or everyone else."""

    event_type: ClassVar[str] = "conveyor.cadence.published"
    cadence_id: str
    cadence_version: int
    segment: str | None = None
    product_line: str | None = None
    steps: tuple[CadenceStep, ...] = ()


class CadenceApplied(_FollowupEvent):
    """The account follows this version of a cadence from started_on, in its time zone."""

    event_type: ClassVar[str] = "conveyor.cadence.applied"
    account_id: str
    cadence_id: str
    cadence_version: int
    started_on: date
    time_zone: str = "UTC"


class FollowUpDue(_FollowupEvent):
    """A follow-up task fell due."""

    event_type: ClassVar[str] = "conveyor.followup.due"
    task_id: str
    account_id: str


class FollowUpCompleted(_FollowupEvent):
    """The farmer completed a task, with an outcome."""

    event_type: ClassVar[str] = "conveyor.followup.completed"
    task_id: str
    account_id: str
    outcome: str
    farmer_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    call_back_on: date | None = None
    note: str = ""


class FollowUpOverdue(_FollowupEvent):
    """A task passed its due date undone."""

    event_type: ClassVar[str] = "conveyor.followup.overdue"
    task_id: str
    account_id: str
    farmer_id: str | None = None
    due_on: date | None = None
    escalated_to: str | None = None


class RepeatOrderRecorded(_FollowupEvent):
    """The account ordered again (farmer_id: whose portfolio held the account then)."""

    event_type: ClassVar[str] = "conveyor.account.repeat_order_recorded"
    account_id: str
    amount: Decimal
    currency: str
    ordered_at: datetime
    order_ref: str | None = None
    recorded_by: str | None = None
    farmer_id: str | None = None


class AccountWentDormant(_FollowupEvent):
    """The account has gone quiet."""

    event_type: ClassVar[str] = "conveyor.account.went_dormant"
    account_id: str
    since: datetime
    reason: str = ""


class ReactivationScheduled(_FollowupEvent):
    """A reactivation task was planned for a dormant account: for its farmer, or for the
    reactivation pool (pool) when the account has no active farmer."""

    event_type: ClassVar[str] = "conveyor.account.reactivation_scheduled"
    account_id: str
    task_id: str
    offer_code: str | None = None
    farmer_id: str | None = None
    pool: str | None = None


class AccountWatched(_FollowupEvent):
    """If the account orders nothing before dormant_on (in its time zone), it goes dormant."""

    event_type: ClassVar[str] = "conveyor.account.watched"
    account_id: str
    dormant_on: date
    since: datetime
    reason: str
    time_zone: str = "UTC"


class NurtureRecheckScheduled(_FollowupEvent):
    """A nurtured lead waits in the nurture pool until recheck_at."""

    event_type: ClassVar[str] = "conveyor.nurture.recheck_scheduled"
    lead_id: str
    recheck_at: datetime
    reasons: tuple[str, ...] = ()


class NurtureRecheckDue(_FollowupEvent):
    """A nurtured lead should go back to intake for a second look."""

    event_type: ClassVar[str] = "conveyor.nurture.recheck_due"
    lead_id: str
    reasons: tuple[str, ...] = ()


class NurtureEnded(_FollowupEvent):
    """Intake decided about the lead before its recheck: it leaves the nurture pool."""

    event_type: ClassVar[str] = "conveyor.nurture.ended"
    lead_id: str
    reason: str


class FarmerWebhookChanged(_FollowupEvent):
    """A farmer's app endpoint was set or cleared by the back office (enabled), or
    disabled because it answered 410 Gone."""

    event_type: ClassVar[str] = "conveyor.farmer.webhook_changed"
    farmer_id: str
    webhook_url: str | None = None
    status: Literal["enabled", "disabled"] = "enabled"
    reason: str = ""


class _TaskWebhookEvent(_FollowupEvent):
    task_id: str
    account_id: str
    farmer_id: str
    """Whose app the message is for (the task's farmer, or their team lead)."""
    message_id: str
    """The webhook-id (stable across attempts)."""
    kind: str


class TaskWebhookDelivered(_TaskWebhookEvent):
    """A farmer's app acknowledged a task webhook."""

    event_type: ClassVar[str] = "conveyor.task.webhook_delivered"
    url: str
    status_code: int
    attempt: int
    duration_ms: float | None = None


class TaskWebhookFailed(_TaskWebhookEvent):
    """A task webhook attempt failed (next_attempt_at None: no more attempts)."""

    event_type: ClassVar[str] = "conveyor.task.webhook_failed"
    url: str
    error: str
    attempt: int
    status_code: int | None = None
    next_attempt_at: datetime | None = None


class TaskWebhookDeadLettered(_TaskWebhookEvent):
    """A task webhook ran out of attempts (or its endpoint was disabled); the back office
    can list and replay it."""

    event_type: ClassVar[str] = "conveyor.task.webhook_dead_lettered"
    attempts: int
    error: str


class TaskWebhookReplayed(_TaskWebhookEvent):
    """The back office sent a dead-lettered task webhook again (same webhook-id)."""

    event_type: ClassVar[str] = "conveyor.task.webhook_replayed"


def register(registry: Registry) -> None:
    """Add followup's events to a registry."""
    for model in (
        FarmerEnrolled,
        FarmerPortfolioChanged,
        RepCredentialIssued,
        AccountHandedOver,
        AccountReassigned,
        FarmerAvailabilityChanged,
        FollowUpScheduled,
        FollowUpCancelled,
        CadencePublished,
        CadenceApplied,
        FollowUpDue,
        FollowUpCompleted,
        FollowUpOverdue,
        RepeatOrderRecorded,
        AccountWatched,
        AccountWentDormant,
        ReactivationScheduled,
        NurtureRecheckScheduled,
        NurtureRecheckDue,
        NurtureEnded,
        FarmerWebhookChanged,
        TaskWebhookDelivered,
        TaskWebhookFailed,
        TaskWebhookDeadLettered,
        TaskWebhookReplayed,
    ):
        registry.register(model)
