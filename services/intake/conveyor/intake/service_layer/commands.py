"""Commands intake accepts: each has one handler, and its failure reaches the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from conveyor.intake.domain.lead import Contact, Interest, Location


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
