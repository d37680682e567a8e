"""Request and response models of the router's HTTP API."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, Field, StringConstraints

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
    settings: dict[str, Any] = Field(default_factory=dict)
    absences: list[dict[str, Any]] = Field(default_factory=list)


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


class DealWonIn(BaseModel):
    """The first deal, as the rep's app reports it."""

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
