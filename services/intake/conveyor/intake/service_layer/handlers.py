"""Command handlers: plain functions of (command, unit of work)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived, temperature_for
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.intake.domain.lead import Lead
from conveyor.intake.domain.qualification import qualify
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.idempotency import (
    IdempotencyKey,
    IdempotencyKeyReused,
    ReplyAlreadyStored,
    StoredReply,
)
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class Receipt:
    """The lead a request is answered with; replayed when an earlier reply was reused."""

    lead_id: str
    replayed: bool = False


async def receive_lead(cmd: ReceiveLead, uow: AbstractUnitOfWork) -> Receipt:
    """Accept and qualify a new lead, record both facts in one transaction.

    Under an Idempotency-Key seen before, answer as before (or IdempotencyKeyReused if the
    body differs); if a concurrent request takes the key first, answer as it did.
    """
    try:
        return await _receive_once(cmd, uow)
    except ReplyAlreadyStored:
        return await _receive_once(cmd, uow)


async def _receive_once(cmd: ReceiveLead, uow: AbstractUnitOfWork) -> Receipt:
    async with uow:
        if (earlier := await _earlier_receipt(cmd, uow)) is not None:
            return earlier
        lead = lead_from(cmd, str(uuid.uuid4()))
        received = new_envelope(
            LeadReceived(lead_id=lead.lead_id, lead=snapshot_of(lead), received_at=_now()),
            subject=lead.lead_id,
            source=uow.source,
        )
        await uow.append(lead.lead_id, [received, qualified(lead, received)], expected_version=0)
        if cmd.idempotency is not None:
            await uow.remember_reply(_reply(cmd, cmd.idempotency, lead.lead_id))
        await uow.commit()
    return Receipt(lead.lead_id)


async def _earlier_receipt(cmd: ReceiveLead, uow: AbstractUnitOfWork) -> Receipt | None:
    if cmd.idempotency is None:
        return None
    earlier = await uow.earlier_reply(cmd.source, cmd.idempotency.key)
    if earlier is None:
        return None
    if earlier.fingerprint != cmd.idempotency.fingerprint:
        raise IdempotencyKeyReused(cmd.idempotency.key)
    return Receipt(earlier.lead_id, replayed=True)


def _reply(cmd: ReceiveLead, key: IdempotencyKey, lead_id: str) -> StoredReply:
    return StoredReply(
        source_id=cmd.source, key=key.key, fingerprint=key.fingerprint, lead_id=lead_id
    )


def _now() -> datetime:
    return datetime.now(UTC)


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
