"""Commands the router takes: imperative, one handler each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from conveyor.events.catalogue.router import Role

DEFAULT_POOL = "default"


@dataclass(frozen=True)
class RegisterRep:
    """Register a rep (hunter, farmer or team lead) with their app's webhook and settings."""

    rep_id: str
    name: str
    role: Role
    pools: tuple[str, ...] = (DEFAULT_POOL,)
    webhook_url: str | None = None
    time_zone: str = "UTC"
    active: bool = True
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateRep:
    """Change some of a rep's fields or routing settings."""

    rep_id: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class ChangeAvailability:
    """Make a rep available or unavailable now (sick, back)."""

    rep_id: str
    available: bool
    reason: str | None = None


@dataclass(frozen=True)
class ScheduleAbsence:
    """A rep will be away from starts_at to ends_at."""

    rep_id: str
    absence_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class CancelAbsence:
    """Call off a scheduled absence."""

    rep_id: str
    absence_id: str


@dataclass(frozen=True)
class DraftPolicy:
    """Store a new version of the routing policy without putting it in force."""

    rules: tuple[dict[str, Any], ...]
    fallback: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishPolicy:
    """Put a drafted version in force now, or at effective_at."""

    policy_version: int
    effective_at: datetime | None = None


@dataclass(frozen=True)
class RollBackPolicy:
    """Go back to the version in force before the current one."""


@dataclass(frozen=True)
class ReportWon:
    """The rep closed the first deal on an assignment."""

    assignment_id: str
    amount: Decimal
    currency: str
    rep_id: str | None = None
    products: tuple[str, ...] = ()
    account: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Accept:
    """The rep takes an offered lead (rep_id None: an administrator acts)."""

    assignment_id: str
    rep_id: str | None = None


@dataclass(frozen=True)
class Decline:
    """The rep declines a lead, with a reason; it goes to the next eligible rep."""

    assignment_id: str
    reason: str
    rep_id: str | None = None


@dataclass(frozen=True)
class ReportOutcome:
    """How a lead went short of a won deal: contacted, meeting set, lost."""

    assignment_id: str
    outcome: Literal["contacted", "meeting_set", "lost"]
    rep_id: str | None = None
    at: datetime | None = None
    reason: str | None = None
