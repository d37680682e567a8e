"""The router's HTTP API for assignments: read them, report a won deal."""

from __future__ import annotations

from fastapi import APIRouter

from conveyor.events.store import ConcurrencyError
from conveyor.events.web import Problem
from conveyor.router.adapters.queries import find_assignments
from conveyor.router.domain.assignment import AssignmentError
from conveyor.router.entrypoints.deps import ServiceDep
from conveyor.router.entrypoints.schemas import AssignmentOut, DealWonIn
from conveyor.router.service_layer.commands import ReportWon
from conveyor.router.service_layer.handlers import NotFound, report_won

assignments_api = APIRouter(prefix="/v1/assignments", tags=["assignments"])


@assignments_api.get("", response_model=list[AssignmentOut])
async def get_assignments(
    service: ServiceDep, lead_id: str | None = None, rep_id: str | None = None
) -> list[AssignmentOut]:
    """Assignments, filtered by lead or rep."""
    filters = {k: v for k, v in {"lead_id": lead_id, "rep_id": rep_id}.items() if v}
    return [
        AssignmentOut(**row) for row in await find_assignments(service.runtime.engine, **filters)
    ]


@assignments_api.get("/{assignment_id}", response_model=AssignmentOut)
async def get_assignment(assignment_id: str, service: ServiceDep) -> AssignmentOut:
    """One assignment."""
    rows = await find_assignments(service.runtime.engine, assignment_id=assignment_id)
    if not rows:
        raise Problem(404, "Assignment not found", f"no assignment {assignment_id}")
    return AssignmentOut(**rows[0])


@assignments_api.post("/{assignment_id}/won", status_code=201, response_model=AssignmentOut)
async def post_won(assignment_id: str, body: DealWonIn, service: ServiceDep) -> AssignmentOut:
    """Report the first deal won; followup hands the account to a farmer."""
    cmd = ReportWon(assignment_id=assignment_id, amount=body.amount, currency=body.currency)
    try:
        async with service.unit_of_work() as uow:
            await report_won(cmd, uow, source=service.runtime.source, now=service.clock())
    except NotFound as exc:
        raise Problem(404, "Assignment not found", str(exc)) from None
    except (AssignmentError, ConcurrencyError) as exc:
        raise Problem(409, "Assignment already closed", str(exc)) from None
    return await get_assignment(assignment_id, service)
