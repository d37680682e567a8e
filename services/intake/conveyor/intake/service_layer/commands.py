"""Commands intake accepts: each has one handler, and its failure reaches the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from conveyor.intake.domain.lead import Contact, Interest, Location
from conveyor.intake.service_layer.idempotency import IdempotencyKey
from conveyor.intake.service_layer.rate_limits import Hit


@dataclass(frozen=True)
class ReceiveLead:
    """Accept a lead that arrived on a channel, qualify it and publish both facts."""

    contact: Contact
    source: str = "api"
    channel: str = "api"
    location: Location = field(default_factory=Location)
    interest: Interest = field(default_factory=Interest)
    consent: bool = False
    source_ref: str | None = None
    utm: Mapping[str, str] = field(default_factory=dict)
    custom: Mapping[str, str] = field(default_factory=dict)
    idempotency: IdempotencyKey | None = None
    hit: Hit | None = None
    """The request to count against the source's rate limit in the lead's transaction (the
    lead is recorded only if it is admitted); None when it was counted already."""


@dataclass(frozen=True)
class RegisterSource:
    """Let a new website, call centre or partner post leads under its own key."""

    source_id: str
    name: str
    channel: str
    rate_limit_per_minute: int


@dataclass(frozen=True)
class RotateSourceKey:
    """Give a source a new API key; the old one stops working."""

    source_id: str


@dataclass(frozen=True)
class RevokeSource:
    """Shut a source out for good."""

    source_id: str
    reason: str = ""
