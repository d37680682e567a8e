"""Request and response models of the router's HTTP API."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from conveyor.events.catalogue.router import Role
from conveyor.router.entrypoints.rep_settings import RepSettingsIn


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


TimeZone = Annotated[str, AfterValidator(_zone)]
RepId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,100}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PoolName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")]


class RepIn(RepSettingsIn):
    """A rep to register."""

    rep_id: RepId
    name: Name
    role: Role
    pools: list[PoolName] = Field(default_factory=lambda: ["default"], min_length=1)
    webhook_url: AnyHttpUrl | None = None
    time_zone: TimeZone = "UTC"
    active: bool = True


class RepPatch(RepSettingsIn):
    """Changes to a rep: only the fields given change."""

    name: Name | None = None
    role: Role | None = None
    pools: list[PoolName] | None = Field(default=None, min_length=1)
    webhook_url: AnyHttpUrl | None = None
    time_zone: TimeZone | None = None
    active: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields given, settings under "settings" (the shape RepUpdated carries)."""
        settings = self.settings()
        plain = self.model_dump(
            mode="json", exclude_unset=True, exclude={*settings, "capacity", "weight"}
        )
        return {**plain, "settings": settings} if settings else plain


class RepOut(BaseModel):
    """A registered rep."""

    rep_id: str
    name: str
    role: str
    pools: list[str]
    webhook_url: str | None
    time_zone: str
    active: bool
    available: bool = True
    webhook_status: str = "healthy"
    settings: dict[str, Any] = Field(default_factory=dict)
    absences: list[dict[str, Any]] = Field(default_factory=list)
    webhook_secret: str | None = None
    """The endpoint's signing secret: shown once, when the rep is registered."""


class RepKeyOut(BaseModel):
    """A new API key for a rep's app: shown once."""

    rep_id: str
    key_id: str
    key: str


class SecretOut(BaseModel):
    """A new signing secret for a rep's endpoint: shown once."""

    rep_id: str
    webhook_secret: str
    previous_valid_for_hours: float


class AssignmentOut(BaseModel):
    """An assignment: who has the lead, why, and how it went."""

    assignment_id: str
    lead_id: str
    rep_id: str
    pool: str
    rule: str
    explanation: str
    status: str
    delivery: str
    assigned_at: str
    amount: str | None = None
    currency: str | None = None
    accepted_at: str | None = None
    outcome_reason: str | None = None
    lead: dict[str, Any] | None = None


Amount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class DealWonIn(BaseModel):
    """The first deal, as the rep's app reports it."""

    amount: Amount
    currency: Currency


class DeclineIn(BaseModel):
    """Why the rep will not take the lead."""

    reason: Reason


class OutcomeIn(BaseModel):
    """How a lead went: contacted, meeting_set, won (amount, currency) or lost (reason)."""

    outcome: Literal["contacted", "meeting_set", "won", "lost"]
    at: AwareDatetime | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    products: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    account: dict[str, Any] = Field(default_factory=dict)
    reason: Reason | None = None

    @model_validator(mode="after")
    def _needs(self) -> OutcomeIn:
        if self.outcome == "won" and (self.amount is None or self.currency is None):
            raise ValueError("a won deal needs amount and currency")
        if self.outcome == "lost" and not self.reason:
            raise ValueError("a lost deal needs a reason")
        return self
