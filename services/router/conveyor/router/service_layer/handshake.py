"""The handshake with reps' apps: accept or decline an offer, report how it went; and
moving a lead on to the next eligible rep (never back to one who already had it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conveyor.events import Event, Recorded, new_envelope
from conveyor.events.catalogue.delivery import LeadContacted, LeadMeetingSet
from conveyor.events.catalogue.router import (
    DealLost,
    DealWon,
    LeadAccepted,
    LeadAssigned,
    LeadDeclined,
    LeadReassigned,
)
from conveyor.router.domain.engine import decide
from conveyor.router.domain.offers import AssignmentError, Offer
from conveyor.router.service_layer.commands import Accept, Decline, ReportOutcome, ReportWon
from conveyor.router.service_layer.errors import Forbidden, NotFound
from conveyor.router.service_layer.ports import AccountMatching, UnitOfWork
from conveyor.router.service_layer.routing import assignment_id_for, decision_event, lead_fields


async def accept(cmd: Accept, uow: UnitOfWork, *, source: str, now: datetime) -> None:
    """The rep takes the offered lead: LeadAccepted (their open-leads count drops)."""
    offer = await _offer(cmd.assignment_id, cmd.rep_id, uow)
    offer.check_offered()
    await append_to_lead(uow, offer.lead_id, [_accepted(offer)], source=source, now=now)


async def decline(
    cmd: Decline, uow: UnitOfWork, *, source: str, now: datetime, matching: AccountMatching
) -> None:
    """The rep declines: LeadDeclined, and the lead goes to the next eligible rep."""
    offer = await _offer(cmd.assignment_id, cmd.rep_id, uow)
    if offer.status not in ("offered", "accepted"):
        raise AssignmentError(f"assignment {offer.assignment_id} is already {offer.status}")
    declined = LeadDeclined(
        lead_id=offer.lead_id,
        assignment_id=offer.assignment_id,
        rep_id=offer.rep_id,
        reason=cmd.reason,
    )
    await move_on(offer, uow, [declined], source=source, now=now, matching=matching)


async def report_outcome(
    cmd: ReportOutcome, uow: UnitOfWork, *, source: str, now: datetime
) -> Event:
    """Contacted, meeting set or lost (an offered lead is accepted on the way)."""
    offer = await _offer(cmd.assignment_id, cmd.rep_id, uow)
    offer.check_can_report(cmd.outcome)
    ids = {"lead_id": offer.lead_id, "assignment_id": offer.assignment_id, "rep_id": offer.rep_id}
    event: Event
    if cmd.outcome == "contacted":
        event = LeadContacted(**ids, contacted_at=cmd.at or now)
    elif cmd.outcome == "meeting_set":
        event = LeadMeetingSet(**ids, meeting_at=cmd.at)
    else:
        event = DealLost(**ids, reason=cmd.reason or "", lost_at=now)
    await append_to_lead(
        uow, offer.lead_id, [*_implied_accept(offer), event], source=source, now=now
    )
    return event


async def report_won(cmd: ReportWon, uow: UnitOfWork, *, source: str, now: datetime) -> DealWon:
    """The first deal is won: DealWon, the trigger of the farmer handover."""
    offer = await _offer(cmd.assignment_id, cmd.rep_id, uow)
    offer.check_open()
    snapshot = await _last_offer_event(offer, uow)
    won = DealWon(
        lead_id=offer.lead_id,
        assignment_id=offer.assignment_id,
        rep_id=offer.rep_id,
        amount=cmd.amount,
        currency=cmd.currency,
        won_at=now,
        lead=snapshot.lead,
        products=cmd.products,
        account=dict(cmd.account),
    )
    await append_to_lead(uow, offer.lead_id, [*_implied_accept(offer), won], source=source, now=now)
    return won


async def move_on(
    offer: Offer,
    uow: UnitOfWork,
    before: Sequence[Event],
    *,
    source: str,
    now: datetime,
    matching: AccountMatching,
    reason: str = "",
    sla: str | None = None,
    step: int | None = None,
) -> LeadAssigned | None:
    """Record ``before`` (and LeadReassigned when ``reason`` is given), then offer the lead
    to the next eligible rep, excluding everyone who had it; unroutable waits for a retry."""
    state = await uow.routing_state()
    history = await uow.stream(offer.lead_id)
    last = await _last_offer_event(offer, uow)
    verdict = dict(last.qualification)
    decision = decide(lead_fields(last.lead, verdict, state, matching), state, now)
    event = decision_event(
        decision, last.lead, verdict, assignment_id=assignment_id_for(history[-1].envelope), now=now
    )
    to_rep = event.rep_id if isinstance(event, LeadAssigned) else ""
    if reason:
        moved = LeadReassigned(
            lead_id=offer.lead_id,
            from_rep_id=offer.rep_id,
            to_rep_id=to_rep,
            reason=reason,
            assignment_id=offer.assignment_id,
            sla=sla,
            step=step,
        )
        before = [*before, moved]
    await append_to_lead(uow, offer.lead_id, [*before, event], source=source, now=now)
    return event if isinstance(event, LeadAssigned) else None


async def _offer(assignment_id: str, rep_id: str | None, uow: UnitOfWork) -> Offer:
    """The assignment in flight; NotFound, Forbidden (another rep's) or closed."""
    known = await uow.assignment(assignment_id)
    if known is None:
        raise NotFound(f"no assignment {assignment_id}")
    if rep_id is not None and known.rep_id != rep_id:
        raise Forbidden(f"assignment {assignment_id} is not yours")
    offer = (await uow.routing_state()).offer_of(assignment_id)
    if offer is None:
        raise AssignmentError(f"assignment {assignment_id} is already {known.status}")
    return offer


async def _last_offer_event(offer: Offer, uow: UnitOfWork) -> LeadAssigned:
    history = await uow.stream(offer.lead_id)
    return next(
        r.envelope.data
        for r in reversed(history)
        if isinstance(r.envelope.data, LeadAssigned)
        and r.envelope.data.assignment_id == offer.assignment_id
    )


def _accepted(offer: Offer) -> LeadAccepted:
    return LeadAccepted(
        lead_id=offer.lead_id, assignment_id=offer.assignment_id, rep_id=offer.rep_id
    )


def _implied_accept(offer: Offer) -> list[Event]:
    """An outcome on a lead not yet accepted accepts it first."""
    return [_accepted(offer)] if offer.status == "offered" else []


async def append_to_lead(
    uow: UnitOfWork, lead_id: str, events: Sequence[Event], *, source: str, now: datetime
) -> list[Recorded]:
    """Append events to the lead's stream, caused by its last event."""
    history = await uow.stream(lead_id)
    cause = history[-1].envelope
    envelopes = [
        new_envelope(e, subject=lead_id, source=source, caused_by=cause, now=now) for e in events
    ]
    return await uow.append(lead_id, envelopes, expected_version=history[-1].version)
