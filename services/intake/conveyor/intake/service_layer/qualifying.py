"""Qualification: the checklist in force, verdicts as events, by the checklist or by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue.intake import (
    LeadDisqualified,
    LeadNurtured,
    LeadQualified,
    LeadReceived,
    QualificationChecklistPublished,
)
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.intake.domain.checklist import Checklist, default_checklist, facts_of
from conveyor.intake.domain.qualification import History, Verdict, qualify
from conveyor.intake.service_layer.checklists import CHECKLIST_STREAM
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork

VERDICTS = (LeadQualified, LeadNurtured, LeadDisqualified)
TYPES_FROM_HISTORY = {
    "previously_refused": "disqualified",
    "repeat_customer": "customer",
    "returning_prospect": "qualified",
}


class UnknownLead(LookupError):
    """Intake received no lead with that id."""

    def __init__(self, lead_id: str) -> None:
        super().__init__(f"Intake has no lead {lead_id!r}.")
        self.lead_id = lead_id


@dataclass(frozen=True)
class QualifyByHand:
    """A call-centre operator's checklist answers, and the outcome they chose if any."""

    lead_id: str
    operator: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    note: str = ""


async def current_checklist(uow: AbstractUnitOfWork) -> Checklist:
    """The newest published checklist; the default is published as version 1 if none is."""
    if (newest := await uow.newest_checklist()) is not None:
        return newest
    checklist = default_checklist()
    event = QualificationChecklistPublished(
        version=1, checklist=checklist.to_dict(), published_by="intake default"
    )
    envelope = new_envelope(event, subject=CHECKLIST_STREAM, source=uow.source)
    await uow.append(CHECKLIST_STREAM, [envelope], expected_version=0)
    return checklist


async def publish_checklist(checklist: Mapping[str, Any], uow: AbstractUnitOfWork) -> int:
    """Publish a new checklist version (the next number); return that version."""
    async with uow:
        history = await uow.read(CHECKLIST_STREAM)
        version = len(history) + 1
        Checklist.from_dict({**checklist, "version": version})
        event = QualificationChecklistPublished(version=version, checklist=dict(checklist))
        envelope = new_envelope(event, subject=CHECKLIST_STREAM, source=uow.source)
        await uow.append(CHECKLIST_STREAM, [envelope], expected_version=len(history))
        await uow.commit()
    return version


def verdict_event(
    lead: LeadSnapshot, verdict: Verdict, *, by: str, caused_by: Envelope
) -> Envelope:
    """LeadQualified, LeadNurtured or LeadDisqualified carrying the verdict."""
    common: dict[str, Any] = {
        "lead_id": lead.lead_id,
        "score": verdict.score,
        "temperature": verdict.temperature,
        "reasons": verdict.reasons,
        "checklist_version": verdict.checklist_version,
        "lead_type": verdict.lead_type,
        "qualified_by": by,
    }
    event: Event
    if verdict.outcome == "target":
        event = LeadQualified(lead=lead, **common)
    elif verdict.outcome == "nurture":
        event = LeadNurtured(recheck_after=_midnight(verdict.recheck_on), **common)
    else:
        event = LeadDisqualified(**common)
    return new_envelope(event, subject=lead.lead_id, source=caused_by.source, caused_by=caused_by)


async def qualify_by_hand(cmd: QualifyByHand, uow: AbstractUnitOfWork, *, today: date) -> Verdict:
    """Record an operator's verdict on a lead, overriding the checklist's."""
    async with uow:
        history = await uow.read(cmd.lead_id)
        received = received_of(history, cmd.lead_id)
        assert isinstance(received.data, LeadReceived)
        checklist = await current_checklist(uow)
        facts = facts_of(received.data.lead.model_dump(), cmd.answers)
        verdict = qualify(checklist, facts, history_of(history), today)
        reason = f"operator {cmd.operator}: {cmd.note or 'answered the checklist'}"
        verdict = verdict.overridden(
            cmd.outcome or verdict.outcome, reason, today, checklist.recheck_days
        )
        event = verdict_event(
            received.data.lead, verdict, by=f"operator:{cmd.operator}", caused_by=received
        )
        await uow.append(cmd.lead_id, [event], expected_version=len(history))
        await uow.commit()
    return verdict


def received_of(history: Sequence[Envelope], lead_id: str) -> Envelope:
    """The LeadReceived a lead's stream starts with (UnknownLead if it has none)."""
    if not history or not isinstance(history[0].data, LeadReceived):
        raise UnknownLead(lead_id)
    return history[0]


def history_of(stream: Sequence[Envelope]) -> History:
    """What the last verdict on a lead said about the person's past."""
    for envelope in reversed(stream):
        if isinstance(envelope.data, VERDICTS):
            return History(TYPES_FROM_HISTORY.get(envelope.data.lead_type or ""))
    return History()


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)
