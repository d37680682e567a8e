"""The router's HTTP API for assignments, as reps' apps use it: read your own, accept or
decline an offer, report how it went."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter

from conveyor.events.catalogue.router import LeadAssigned
from conveyor.events.store import ConcurrencyError
from conveyor.events.web import Problem
from conveyor.router.adapters.queries import find_assignments
from conveyor.router.bootstrap import RouterService
from conveyor.router.domain.offers import AssignmentError
from conveyor.router.entrypoints.auth import Caller, CallerDep
from conveyor.router.entrypoints.deps import ServiceDep
from conveyor.router.entrypoints.schemas import AssignmentOut, DealWonIn, DeclineIn, OutcomeIn
from conveyor.router.service_layer import handshake
from conveyor.router.service_layer.commands import Accept, Decline, ReportOutcome, ReportWon
from conveyor.router.service_layer.errors import Forbidden, NotFound
from conveyor.router.service_layer.ports import UnitOfWork

assignments_api = APIRouter(prefix="/v1/assignments", tags=["assignments"])


@assignments_api.get("", response_model=list[AssignmentOut])
async def get_assignments(
    service: ServiceDep, who: CallerDep, lead_id: str | None = None, rep_id: str | None = None
) -> list[AssignmentOut]:
    """Assignments, filtered by lead or rep (a rep sees only their own)."""
    rep_id = who.rep_id or rep_id
    filters = {k: v for k, v in {"lead_id": lead_id, "rep_id": rep_id}.items() if v}
    rows = await find_assignments(service.runtime.engine, **filters)
    return [AssignmentOut(**row) for row in rows]


@assignments_api.get("/{assignment_id}", response_model=AssignmentOut)
async def get_assignment(assignment_id: str, service: ServiceDep, who: CallerDep) -> AssignmentOut:
    """One assignment with the lead as offered (only to its rep or the administrator)."""
    row = await _row(service, assignment_id, who)
    return AssignmentOut(**row, lead=await _lead(service, row))


@assignments_api.post("/{assignment_id}/accept", response_model=AssignmentOut)
async def post_accept(assignment_id: str, service: ServiceDep, who: CallerDep) -> AssignmentOut:
    """Take the offered lead (LeadAccepted); its SLA moves on to first contact."""
    cmd = Accept(assignment_id, who.rep_id)
    await _run(service, lambda uow: handshake.accept(cmd, uow, **_ctx(service)))
    return await get_assignment(assignment_id, service, who)


@assignments_api.post("/{assignment_id}/decline", response_model=AssignmentOut)
async def post_decline(
    assignment_id: str, body: DeclineIn, service: ServiceDep, who: CallerDep
) -> AssignmentOut:
    """Decline with a reason (LeadDeclined); the lead goes to the next eligible rep."""
    cmd = Decline(assignment_id, body.reason, who.rep_id)
    matching = service.matching
    await _run(service, lambda uow: handshake.decline(cmd, uow, matching=matching, **_ctx(service)))
    return await get_assignment(assignment_id, service, who)


@assignments_api.post("/{assignment_id}/outcomes", status_code=201, response_model=AssignmentOut)
async def post_outcome(
    assignment_id: str, body: OutcomeIn, service: ServiceDep, who: CallerDep
) -> AssignmentOut:
    """Report contacted, meeting set, won (amount, currency, products, account) or lost
    (reason); an offered lead is accepted on the way."""
    if body.outcome == "won":
        assert body.amount is not None and body.currency is not None
        won = DealWonIn(amount=body.amount, currency=body.currency)
        return await _won(assignment_id, won, service, who, body.products, body.account)
    cmd = ReportOutcome(assignment_id, body.outcome, who.rep_id, body.at, body.reason)
    await _run(service, lambda uow: handshake.report_outcome(cmd, uow, **_ctx(service)))
    return await get_assignment(assignment_id, service, who)


@assignments_api.post("/{assignment_id}/won", status_code=201, response_model=AssignmentOut)
async def post_won(
    assignment_id: str, body: DealWonIn, service: ServiceDep, who: CallerDep
) -> AssignmentOut:
    """Report the first deal won (DealWon); followup hands the account to a farmer."""
    return await _won(assignment_id, body, service, who)


async def _won(
    assignment_id: str,
    body: DealWonIn,
    service: RouterService,
    who: Caller,
    products: list[str] | None = None,
    account: dict[str, Any] | None = None,
) -> AssignmentOut:
    cmd = ReportWon(
        assignment_id,
        body.amount,
        body.currency,
        who.rep_id,
        tuple(products or ()),
        dict(account or {}),
    )
    await _run(service, lambda uow: handshake.report_won(cmd, uow, **_ctx(service)))
    return await get_assignment(assignment_id, service, who)


async def _row(service: RouterService, assignment_id: str, who: Caller) -> dict[str, Any]:
    rows = await find_assignments(service.runtime.engine, assignment_id=assignment_id)
    if not rows:
        raise Problem(404, "Assignment not found", f"no assignment {assignment_id}")
    if not who.is_admin and rows[0]["rep_id"] != who.rep_id:
        raise Problem(403, "Forbidden", f"assignment {assignment_id} is not yours")
    return rows[0]


async def _lead(service: RouterService, row: dict[str, Any]) -> dict[str, Any] | None:
    async with service.runtime.engine.connect() as conn:
        history = await service.runtime.store.read_stream(conn, row["lead_id"])
    for recorded in history:
        data = recorded.envelope.data
        if isinstance(data, LeadAssigned) and data.assignment_id == row["assignment_id"]:
            return data.lead.model_dump(mode="json")
    return None


async def _run(service: RouterService, handle: Callable[[UnitOfWork], Awaitable[object]]) -> None:
    try:
        async with service.unit_of_work() as uow:
            await handle(uow)
    except NotFound as exc:
        raise Problem(404, "Assignment not found", str(exc)) from None
    except Forbidden as exc:
        raise Problem(403, "Forbidden", str(exc)) from None
    except (AssignmentError, ConcurrencyError) as exc:
        raise Problem(409, "Assignment already moved on", str(exc)) from None


def _ctx(service: RouterService) -> dict[str, Any]:
    return {"source": service.runtime.source, "now": service.clock()}
