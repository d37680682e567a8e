"""Request and response models of the router's HTTP API."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints

from conveyor.events.catalogue.router import Role

RepId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,100}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PoolName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")]


class RepIn(BaseModel):
    """A rep to register."""

    rep_id: RepId
    name: Name
    role: Role
    pools: list[PoolName] = Field(default_factory=lambda: ["default"], min_length=1)
    webhook_url: AnyHttpUrl | None = None
    time_zone: str = "UTC"


class RepOut(BaseModel):
    """A registered rep."""

    rep_id: str
    name: str
    role: str
    pools: list[str]
    webhook_url: str | None
    time_zone: str
    active: bool


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
