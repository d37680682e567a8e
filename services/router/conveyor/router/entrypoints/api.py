"""The router's HTTP API: reps and assignments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from conveyor.events.store import ConcurrencyError
from conveyor.events.web import Problem
from conveyor.router.adapters.queries import find_assignments, list_reps
from conveyor.router.bootstrap import RouterService
from conveyor.router.domain.assignment import AssignmentError
from conveyor.router.entrypoints.schemas import AssignmentOut, DealWonIn, RepIn, RepOut
from conveyor.router.service_layer.handlers import (
    NotFound,
    RegisterRep,
    ReportWon,
    register_rep,
    report_won,
)


def get_service(request: Request) -> RouterService:
    """The router service the app's lifespan built."""
    service: RouterService = request.app.state.service
    return service


ServiceDep = Annotated[RouterService, Depends(get_service)]
reps_api = APIRouter(prefix="/v1/reps", tags=["reps"])
assignments_api = APIRouter(prefix="/v1/assignments", tags=["assignments"])


@reps_api.post("", status_code=201, response_model=RepOut)
async def post_rep(body: RepIn, service: ServiceDep) -> RepOut:
    """Register a rep; every registration is a RepRegistered event."""
    cmd = RegisterRep(
        rep_id=body.rep_id,
        name=body.name,
        role=body.role,
        pools=tuple(body.pools),
        time_zone=body.time_zone,
        webhook_url=str(body.webhook_url) if body.webhook_url else None,
    )
    try:
        async with service.unit_of_work() as uow:
            await register_rep(cmd, uow, source=service.runtime.source)
    except ConcurrencyError:
        raise Problem(409, "Rep already registered", f"rep {body.rep_id!r} exists") from None
    return RepOut(**{**cmd.__dict__, "pools": list(cmd.pools), "active": True})


@reps_api.get("", response_model=list[RepOut])
async def get_reps(service: ServiceDep) -> list[RepOut]:
    """Every registered rep."""
    return [RepOut(**row) for row in await list_reps(service.runtime.engine)]


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
            await report_won(cmd, uow, source=service.runtime.source)
    except NotFound as exc:
        raise Problem(404, "Assignment not found", str(exc)) from None
    except (AssignmentError, ConcurrencyError) as exc:
        raise Problem(409, "Assignment already closed", str(exc)) from None
    return await get_assignment(assignment_id, service)
