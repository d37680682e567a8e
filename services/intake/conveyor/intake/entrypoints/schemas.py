"""The HTTP API's request and response bodies."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Channel = Literal["web_form", "call_centre", "import", "api", "chat", "social", "partner"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(_Body):
    """Who the lead is: a name and (the domain insists) at least one of e-mail and phone."""

    name: Text
    email: Text | None = None
    phone: Text | None = None
    company: Text | None = None
    job_title: Text | None = None


class LocationIn(_Body):
    """Where the lead is."""

    country: Text | None = None
    region: Text | None = None
    city: Text | None = None
    postal_code: Text | None = None


class InterestIn(_Body):
    """What the lead wants."""

    product_lines: list[Text] = Field(default_factory=list)
    industry: Text | None = None
    company_size: Text | None = None
    budget: Text | None = None
    note: Annotated[str, StringConstraints(max_length=5000)] | None = None


class LeadIn(_Body):
    """A lead as a source sends it."""

    contact: ContactIn
    location: LocationIn = Field(default_factory=LocationIn)
    interest: InterestIn = Field(default_factory=InterestIn)
    consent: bool = False
    source: Text | None = None
    channel: Channel | None = None
    source_ref: Text | None = None
    utm: dict[str, str] = Field(default_factory=dict)
    custom: dict[str, str] = Field(default_factory=dict)


class LeadReceipt(BaseModel):
    """Intake has the lead: its id, where to follow it, and the lead it is a touch on if the
    same person came in recently."""

    lead_id: str
    status_url: str
    duplicate_of: str | None = None


class LeadStatus(BaseModel):
    """What intake knows about a lead and how far it got."""

    lead_id: str
    source: str
    channel: str
    name: str
    email: str | None
    phone: str | None
    company: str | None
    status: Literal["received", "qualified", "nurtured", "disqualified", "duplicate"]
    score: int | None
    temperature: Literal["hot", "warm", "cold"] | None
    received_at: str
    duplicate_of: str | None = None
    previous_lead_id: str | None = None
    touches: int = 0
    lead_type: str | None = None
    checklist_version: int | None = None
    reasons: list[str] = Field(default_factory=list)
    recheck_after: str | None = None
    qualified_by: str | None = None
    won_at: str | None = None

    @field_validator("reasons", mode="before")
    @classmethod
    def _decode_reasons(cls, value: object) -> object:
        if value is None:
            return []
        return json.loads(value) if isinstance(value, str) else value
