"""Commands followup's API gives: each names one change and has one handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class SetFarmerPortfolio:
    """Set the rules of a farmer's portfolio (replacing the ones before)."""

    farmer_id: str
    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    cap: int | None = None
    team_lead_id: str | None = None


@dataclass(frozen=True)
class CadenceStepSpec:
    """One step of a cadence as the back office writes it."""

    kind: str
    after_days: int
    count: str = "business_days"
    every_days: int | None = None
    script: str = ""


@dataclass(frozen=True)
class PublishCadence:
    """Publish the next version of a cadence."""

    cadence_id: str
    steps: tuple[CadenceStepSpec, ...]
    segment: str | None = None
    product_line: str | None = None


@dataclass(frozen=True)
class ApplyCadenceToExisting:
    """Move the accounts on older versions of a cadence to its newest version."""

    cadence_id: str


@dataclass(frozen=True)
class IssueCredential:
    """Give a rep a new credential for followup's API (the old one stops working)."""

    rep_id: str


@dataclass(frozen=True)
class CompleteTask:
    """The farmer who owns a task reports its outcome."""

    task_id: str
    farmer_id: str
    outcome: str
    amount: Decimal | None = None
    currency: str | None = None
    call_back_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class RecordOrder:
    """A repeat order of an account, from its farmer's app (rep_id) or the order system."""

    account_id: str
    amount: Decimal
    currency: str
    ordered_at: datetime
    order_ref: str | None = None
    rep_id: str | None = None


@dataclass(frozen=True)
class SetFarmerWebhook:
    """Point a farmer's app endpoint at a (checked) URL, or clear it with None."""

    farmer_id: str
    webhook_url: str | None


@dataclass(frozen=True)
class RotateWebhookSecret:
    """Give a farmer's endpoint a new signing secret (the old one signs on for a while)."""

    farmer_id: str
