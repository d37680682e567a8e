"""The lead as intake accepts it: who, where, what they want and where they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class InvalidLead(ValueError):
    """A lead that breaks a rule of intake; field names the part at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


class InvalidFields(ValueError):
    """Several parts of a lead are at fault: (field, reason) for each."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors))
        self.errors = errors


@dataclass(frozen=True)
class Contact:
    """Who the lead is; a lead can be reached by e-mail, by phone or both."""

    name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidLead("contact.name", "a lead needs a name")
        if not (self.email or self.phone):
            raise InvalidLead("contact", "a lead needs an e-mail address or a phone number")


@dataclass(frozen=True)
class Location:
    """Where the lead is."""

    country: str | None = None
    region: str | None = None
    city: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class Interest:
    """What the lead wants."""

    product_lines: tuple[str, ...] = ()
    industry: str | None = None
    company_size: str | None = None
    budget: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Lead:
    """A lead accepted by intake, under the id intake gave it."""

    lead_id: str
    source: str
    channel: str
    contact: Contact
    location: Location = field(default_factory=Location)
    interest: Interest = field(default_factory=Interest)
    consent: bool = False
    source_ref: str | None = None
    utm: Mapping[str, str] = field(default_factory=dict)
    custom: Mapping[str, str] = field(default_factory=dict)
