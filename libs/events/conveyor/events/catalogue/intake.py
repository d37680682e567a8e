"""Events intake publishes on conveyor.leads.v1."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from conveyor.events.catalogue.topics import LEADS
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.model import Event
from conveyor.events.registry import Registry

Temperature = Literal["hot", "warm", "cold"]


class _LeadEvent(Event):
    topic: ClassVar[str] = LEADS
    lead_id: str


class LeadReceived(_LeadEvent):
    """A lead arrived on some channel and was accepted for processing.

    previous_lead_id names an earlier lead of the same person, older than the duplicate
    window: the person is returning.
    """

    event_type: ClassVar[str] = "conveyor.lead.received"
    lead: LeadSnapshot
    received_at: datetime
    previous_lead_id: str | None = None


class LeadDuplicateDetected(_LeadEvent):
    """The same person arrived again within the window: a new touch on the existing lead.

    Appended to the existing lead's stream (lead_id = duplicate_of = the existing lead);
    touch_id is the id the new submission was answered with, touch what it carried.
    """

    event_type: ClassVar[str] = "conveyor.lead.duplicate_detected"
    duplicate_of: str
    matched_on: str
    touch_id: str | None = None
    touch: LeadSnapshot | None = None
    received_at: datetime | None = None


class LeadQualified(_LeadEvent):
    """The sieve let the lead through as a target lead (v2: temperature and reasons).

    checklist_version names the checklist that decided; qualified_by is ``checklist`` or
    ``operator:<id>`` for a call-centre operator's verdict.
    """

    event_type: ClassVar[str] = "conveyor.lead.qualified"
    schema_version: ClassVar[int] = 2
    lead: LeadSnapshot
    score: int
    temperature: Temperature
    reasons: tuple[str, ...] = ()
    checklist_version: int | None = None
    lead_type: str | None = None
    qualified_by: str = "checklist"


class LeadNurtured(_LeadEvent):
    """Not yet: the lead is kept for a later look (after recheck_after)."""

    event_type: ClassVar[str] = "conveyor.lead.nurtured"
    reasons: tuple[str, ...] = ()
    recheck_after: datetime | None = None
    score: int | None = None
    temperature: Temperature | None = None
    checklist_version: int | None = None
    lead_type: str | None = None
    qualified_by: str = "checklist"


class LeadDisqualified(_LeadEvent):
    """Never: the lead was rejected, with reasons."""

    event_type: ClassVar[str] = "conveyor.lead.disqualified"
    reasons: tuple[str, ...] = ()
    score: int | None = None
    temperature: Temperature | None = None
    checklist_version: int | None = None
    lead_type: str | None = None
    qualified_by: str = "checklist"


class QualificationChecklistPublished(Event):
    """A new version of the qualification checklist is in force for every verdict after it."""

    topic: ClassVar[str] = LEADS
    event_type: ClassVar[str] = "conveyor.qualification_checklist.published"
    version: int
    checklist: dict[str, Any]
    published_by: str = "admin"


class LeadRequalificationRequested(_LeadEvent):
    """A nurtured lead is due for a second look."""

    event_type: ClassVar[str] = "conveyor.lead.requalification_requested"
    requested_by: str


class LeadConverted(_LeadEvent):
    """The lead became a customer: the router reported a won deal (intake's own record, so
    the same person coming back is known as a repeat customer)."""

    event_type: ClassVar[str] = "conveyor.lead.converted"
    won_at: datetime


class _SourceEvent(Event):
    topic: ClassVar[str] = LEADS
    source_id: str


class SourceRegistered(_SourceEvent):
    """A website, call centre or partner may now post leads with its own API key.

    key_hash is the SHA-256 of a random 256-bit key, never the key itself.
    """

    event_type: ClassVar[str] = "conveyor.source.registered"
    name: str
    channel: str
    rate_limit_per_minute: int
    key_id: str
    key_hash: str


class SourceKeyRotated(_SourceEvent):
    """The source was given a new API key; the previous one no longer opens the door."""

    event_type: ClassVar[str] = "conveyor.source.key_rotated"
    key_id: str
    key_hash: str


class SourceRevoked(_SourceEvent):
    """The source may no longer post or read leads."""

    event_type: ClassVar[str] = "conveyor.source.revoked"
    reason: str = ""


def temperature_for(score: int) -> Temperature:
    """The temperature band a qualification score falls in."""
    if score >= 70:
        return "hot"
    return "warm" if score >= 40 else "cold"


def upcast_lead_qualified_v1_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 carried only a score; v2 adds the temperature band and the reasons."""
    score = int(payload.get("score", 0))
    return {**payload, "temperature": temperature_for(score), "reasons": []}


def register(registry: Registry) -> None:
    """Add intake's events and upcasters to a registry."""
    for model in (
        LeadReceived,
        LeadDuplicateDetected,
        LeadQualified,
        LeadNurtured,
        LeadDisqualified,
        LeadRequalificationRequested,
        LeadConverted,
        SourceRegistered,
        SourceKeyRotated,
        SourceRevoked,
        QualificationChecklistPublished,
    ):
        registry.register(model)
    registry.upcaster(LeadQualified.event_type, 1)(upcast_lead_qualified_v1_v2)
