"""Command handlers: plain functions of (command, unit of work)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived, temperature_for
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.intake.domain.lead import Lead
from conveyor.intake.domain.qualification import qualify
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


async def receive_lead(cmd: ReceiveLead, uow: AbstractUnitOfWork) -> str:
    """Accept and qualify a new lead, record both facts in one transaction; return its id."""
    lead = lead_from(cmd, str(uuid.uuid4()))
    received = new_envelope(
        LeadReceived(lead_id=lead.lead_id, lead=snapshot_of(lead), received_at=datetime.now(UTC)),
        subject=lead.lead_id,
        source=uow.source,
    )
    async with uow:
        await uow.append(lead.lead_id, [received, qualified(lead, received)], expected_version=0)
        await uow.commit()
    return lead.lead_id


def qualified(lead: Lead, received: Envelope) -> Envelope:
    """The LeadQualified that follows a LeadReceived, carrying the verdict."""
    verdict = qualify(lead)
    event = LeadQualified(
        lead_id=lead.lead_id,
        lead=snapshot_of(lead),
        score=verdict.score,
        temperature=temperature_for(verdict.score),
        reasons=verdict.reasons,
    )
    return new_envelope(event, subject=lead.lead_id, source=received.source, caused_by=received)


def lead_from(cmd: ReceiveLead, lead_id: str) -> Lead:
    """The lead a ReceiveLead describes, under a new id."""
    return Lead(
        lead_id=lead_id,
        source=cmd.source,
        channel=cmd.channel,
        contact=cmd.contact,
        location=cmd.location,
        interest=cmd.interest,
        consent=cmd.consent,
        source_ref=cmd.source_ref,
        utm=dict(cmd.utm),
        custom=dict(cmd.custom),
    )


def snapshot_of(lead: Lead) -> LeadSnapshot:
    """The lead as the integration events carry it."""
    return LeadSnapshot.model_validate(asdict(lead))
