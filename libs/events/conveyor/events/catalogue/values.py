"""Value objects shared by several events."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Contact(_Value):
    """Who the lead is."""

    name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None


class Location(_Value):
    """Where the lead is."""

    country: str | None = None
    region: str | None = None
    city: str | None = None
    postal_code: str | None = None


class Interest(_Value):
    """What the lead wants."""

    product_lines: tuple[str, ...] = ()
    industry: str | None = None
    company_size: str | None = None
    budget: str | None = None
    note: str | None = None


class LeadSnapshot(_Value):
    """The lead as intake accepted it: what downstream stages need to act on it."""

    lead_id: str
    source: str
    channel: str
    contact: Contact
    location: Location = Field(default_factory=Location)
    interest: Interest = Field(default_factory=Interest)
    consent: bool = False
    source_ref: str | None = None
    utm: dict[str, str] = Field(default_factory=dict)
    custom: dict[str, str] = Field(default_factory=dict)
