"""Router use cases: register reps, route qualified leads, record won deals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.router import (
    DealWon,
    LeadAssigned,
    LeadUnroutable,
    RepRegistered,
    Role,
)
from conveyor.router.domain.assignment import Assignment
from conveyor.router.domain.distribution import round_robin
from conveyor.router.service_layer.ports import UnitOfWork

DEFAULT_POOL = "default"
POLICY_VERSION = 0  # the built-in policy: one pool, round robin over its hunters


class NotFound(LookupError):
    """The thing the command names does not exist."""


@dataclass(frozen=True)
class RegisterRep:
    """Register a rep (hunter, farmer or team lead) with their app's webhook."""

    rep_id: str
    name: str
    role: Role
    pools: tuple[str, ...] = (DEFAULT_POOL,)
    webhook_url: str | None = None
    time_zone: str = "UTC"


@dataclass(frozen=True)
class ReportWon:
    """The rep closed the first deal on an assignment."""

    assignment_id: str
    amount: Decimal
    currency: str


async def register_rep(cmd: RegisterRep, uow: UnitOfWork, *, source: str) -> None:
    """Record RepRegistered; a rep id that exists raises ConcurrencyError."""
    event = RepRegistered(
        rep_id=cmd.rep_id,
        name=cmd.name,
        role=cmd.role,
        pools=cmd.pools,
        webhook_url=cmd.webhook_url,
        time_zone=cmd.time_zone,
    )
    await uow.append(
        cmd.rep_id, [new_envelope(event, subject=cmd.rep_id, source=source)], expected_version=0
    )


async def route_lead(envelope: Envelope, uow: UnitOfWork, *, source: str) -> None:
    """Offer a target lead to the next hunter of the pool, or mark it unroutable."""
    qualified = envelope.data
    assert isinstance(qualified, LeadQualified)
    if await uow.stream(qualified.lead_id):
        return  # routed already; requalification comes with its own command
    pick = round_robin(
        await uow.eligible_hunters(DEFAULT_POOL), await uow.next_rotation(DEFAULT_POOL)
    )
    decision: LeadAssigned | LeadUnroutable
    if pick is None:
        decision = LeadUnroutable(
            lead_id=qualified.lead_id,
            lead=qualified.lead,
            reason=f"no active hunter in pool {DEFAULT_POOL!r}",
        )
    else:
        decision = LeadAssigned(
            lead_id=qualified.lead_id,
            assignment_id=_assignment_id(envelope),
            rep_id=pick.rep_id,
            pool=DEFAULT_POOL,
            rule="default",
            policy_version=POLICY_VERSION,
            explanation=pick.explanation,
            rotation=pick.rotation,
            lead=qualified.lead,
        )
    await uow.append(
        qualified.lead_id,
        [new_envelope(decision, subject=qualified.lead_id, source=source, caused_by=envelope)],
        expected_version=0,
    )


async def report_won(cmd: ReportWon, uow: UnitOfWork, *, source: str) -> DealWon:
    """Record DealWon for an open assignment."""
    assignment = await _open_assignment(cmd.assignment_id, uow)
    history = await uow.stream(assignment.lead_id)
    offer = next(
        r.envelope.data
        for r in reversed(history)
        if isinstance(r.envelope.data, LeadAssigned)
        and r.envelope.data.assignment_id == cmd.assignment_id
    )
    won = DealWon(
        lead_id=assignment.lead_id,
        assignment_id=cmd.assignment_id,
        rep_id=assignment.rep_id,
        amount=cmd.amount,
        currency=cmd.currency,
        won_at=datetime.now(UTC),
        lead=offer.lead,
    )
    cause = history[-1].envelope
    await uow.append(
        assignment.lead_id,
        [new_envelope(won, subject=assignment.lead_id, source=source, caused_by=cause)],
        expected_version=history[-1].version,
    )
    return won


async def _open_assignment(assignment_id: str, uow: UnitOfWork) -> Assignment:
    assignment = await uow.assignment(assignment_id)
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    assignment.check_can_close()
    return assignment


def _assignment_id(cause: Envelope) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:assignment:{cause.id}"))
