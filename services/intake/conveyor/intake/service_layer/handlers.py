"""Command handlers: plain functions of (command, unit of work)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from conveyor.events import new_envelope
from conveyor.events.catalogue.intake import LeadDuplicateDetected, LeadReceived
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.store import ANY_VERSION
from conveyor.intake.domain.checklist import facts_of
from conveyor.intake.domain.duplicates import EarlierLead, PersonKeys
from conveyor.intake.domain.lead import Lead
from conveyor.intake.domain.qualification import History, qualify
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.idempotency import (
    IdempotencyKey,
    IdempotencyKeyReused,
    ReplyAlreadyStored,
    StoredReply,
)
from conveyor.intake.service_layer.qualifying import current_checklist, verdict_event
from conveyor.intake.service_layer.rate_limits import KeyNotCurrent, RateLimited
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork

DUPLICATE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Receipt:
    """What a request is answered with: the id it got, and the lead it duplicates if any."""

    lead_id: str
    duplicate_of: str | None = None
    replayed: bool = False


Refusal = RateLimited | KeyNotCurrent
"""Why a request to post a lead was not admitted (nothing of it recorded)."""


async def receive_lead(
    cmd: ReceiveLead, uow: AbstractUnitOfWork, *, duplicate_window: timedelta = DUPLICATE_WINDOW
) -> Receipt:
    """Accept a lead: a new lead (received, then qualified) or a touch on the same person's
    lead from within the window, recorded in one transaction.

    Under an Idempotency-Key seen before, answer as before (or IdempotencyKeyReused if the
    body differs); if a concurrent request takes the key first, answer as it did. With
    ``cmd.hit``, the request is counted in the same transaction first: RateLimited or
    KeyNotCurrent, with nothing recorded, if it is not admitted.
    """
    try:
        return await _receive_once(cmd, uow, duplicate_window)
    except ReplyAlreadyStored:
        return await _receive_once(cmd, uow, duplicate_window)


async def receive_leads(
    cmds: Sequence[ReceiveLead],
    uow: AbstractUnitOfWork,
    *,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> list[Receipt | IdempotencyKeyReused | Refusal]:
    """Accept several leads in one transaction (a batch's rows, or leads posted at the same
    time), each as receive_lead would: the requests counted first, those not admitted
    refused (RateLimited or KeyNotCurrent), a row whose key was used with another body
    refused with IdempotencyKeyReused, the rest recorded. If a concurrent request takes one
    of the keys first, the leads are taken one by one."""
    try:
        async with uow:
            refused = await _counted(cmds, uow)
            admitted = [cmd for cmd, no in zip(cmds, refused, strict=True) if no is None]
            await uow.expect_leads(
                [PersonKeys.of(c.contact.email, c.contact.phone) for c in admitted]
            )
            receipts = iter(
                [await _receive_or_refuse(cmd, uow, duplicate_window) for cmd in admitted]
            )
            await uow.commit()
        return [next(receipts) if no is None else no for no in refused]
    except ReplyAlreadyStored:
        return [await receive_alone(cmd, uow, duplicate_window=duplicate_window) for cmd in cmds]


async def _counted(cmds: Sequence[ReceiveLead], uow: AbstractUnitOfWork) -> list[Refusal | None]:
    """Count the commands' requests in the transaction; why each is refused (None: admitted
    or counted already)."""
    hits = [cmd.hit for cmd in cmds if cmd.hit is not None]
    admissions = iter(await uow.count_requests(hits) if hits else ())
    return [None if cmd.hit is None else cmd.hit.refusal(next(admissions)) for cmd in cmds]


async def receive_alone(
    cmd: ReceiveLead, uow: AbstractUnitOfWork, *, duplicate_window: timedelta = DUPLICATE_WINDOW
) -> Receipt | IdempotencyKeyReused | Refusal:
    """receive_lead, its refusals returned instead of raised (a group's member alone)."""
    try:
        return await receive_lead(cmd, uow, duplicate_window=duplicate_window)
    except (IdempotencyKeyReused, RateLimited, KeyNotCurrent) as exc:
        return exc


async def _receive_or_refuse(
    cmd: ReceiveLead, uow: AbstractUnitOfWork, window: timedelta
) -> Receipt | IdempotencyKeyReused:
    try:
        return await _receive_in(cmd, uow, window)
    except IdempotencyKeyReused as exc:
        return exc


async def _receive_once(cmd: ReceiveLead, uow: AbstractUnitOfWork, window: timedelta) -> Receipt:
    async with uow:
        [refused] = await _counted([cmd], uow)
        receipt = None if refused is not None else await _receive_in(cmd, uow, window)
        await uow.commit()  # a refused request counts too
    if receipt is None:
        assert refused is not None
        raise refused
    return receipt


async def _receive_in(cmd: ReceiveLead, uow: AbstractUnitOfWork, window: timedelta) -> Receipt:
    """Record one lead (or touch) in the open transaction."""
    if (earlier_receipt := await _earlier_receipt(cmd, uow)) is not None:
        return earlier_receipt
    lead, now = lead_from(cmd, str(uuid.uuid4())), _now()
    earlier = await uow.earlier_lead(PersonKeys.of(lead.contact.email, lead.contact.phone))
    if earlier is not None and earlier.is_duplicate(now, window):
        receipt = await _record_touch(lead, earlier, uow, now)
    else:
        receipt = await _record_lead(lead, earlier, uow, now)
    if cmd.idempotency is not None:
        await uow.remember_reply(_reply(cmd, cmd.idempotency, receipt))
    return receipt


async def _record_lead(
    lead: Lead, earlier: EarlierLead | None, uow: AbstractUnitOfWork, now: datetime
) -> Receipt:
    event = LeadReceived(
        lead_id=lead.lead_id,
        lead=snapshot_of(lead),
        received_at=now,
        previous_lead_id=earlier.lead_id if earlier else None,
    )
    received = new_envelope(event, subject=lead.lead_id, source=uow.source)
    checklist = await current_checklist(uow)
    history = History(earlier.outcome if earlier else None)
    verdict = qualify(checklist, facts_of(event.lead.model_dump()), history, now.date())
    judged = verdict_event(event.lead, verdict, by="checklist", caused_by=received)
    await uow.append(lead.lead_id, [received, judged], expected_version=0)
    return Receipt(lead.lead_id)


async def _record_touch(
    lead: Lead, earlier: EarlierLead, uow: AbstractUnitOfWork, now: datetime
) -> Receipt:
    event = LeadDuplicateDetected(
        lead_id=earlier.lead_id,
        duplicate_of=earlier.lead_id,
        matched_on=earlier.matched_on,
        touch_id=lead.lead_id,
        touch=snapshot_of(lead),
        received_at=now,
    )
    envelope = new_envelope(event, subject=earlier.lead_id, source=uow.source)
    await uow.append(earlier.lead_id, [envelope], expected_version=ANY_VERSION)
    return Receipt(lead.lead_id, duplicate_of=earlier.lead_id)


async def _earlier_receipt(cmd: ReceiveLead, uow: AbstractUnitOfWork) -> Receipt | None:
    if cmd.idempotency is None:
        return None
    earlier = await uow.earlier_reply(cmd.source, cmd.idempotency.key)
    if earlier is None:
        return None
    if earlier.fingerprint != cmd.idempotency.fingerprint:
        raise IdempotencyKeyReused(cmd.idempotency.key)
    return Receipt(earlier.lead_id, duplicate_of=earlier.duplicate_of, replayed=True)


def _reply(cmd: ReceiveLead, key: IdempotencyKey, receipt: Receipt) -> StoredReply:
    return StoredReply(
        source_id=cmd.source,
        key=key.key,
        fingerprint=key.fingerprint,
        lead_id=receipt.lead_id,
        duplicate_of=receipt.duplicate_of,
    )


def _now() -> datetime:
    return datetime.now(UTC)


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
    """The lead as the integration events carry it (read from its attributes: no copy)."""
    return LeadSnapshot.model_validate(lead, from_attributes=True)
