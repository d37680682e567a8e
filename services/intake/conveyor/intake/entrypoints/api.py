"""``/v1/leads``: submit a lead, then follow it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from conveyor.events.web import Problem
from conveyor.intake.bootstrap import IntakeService
from conveyor.intake.entrypoints.schemas import LeadIn, LeadReceipt, LeadStatus, to_command

router = APIRouter(prefix="/v1/leads", tags=["leads"])


def service_of(app: FastAPI) -> IntakeService:
    """The service the app's lifespan bootstrapped (503 before it did)."""
    service = getattr(app.state, "service", None)
    if not isinstance(service, IntakeService):
        raise Problem(503, "Intake is not started")
    return service


def get_service(request: Request) -> IntakeService:
    """The service behind the request's app."""
    return service_of(request.app)


ServiceDep = Annotated[IntakeService, Depends(get_service)]


@router.post("", status_code=202)
async def submit_lead(body: LeadIn, service: ServiceDep, response: Response) -> LeadReceipt:
    """Accept a lead; answers once it is stored, with the URL to follow it at."""
    lead_id = await service.receive_lead(to_command(body))
    response.headers["Location"] = service.status_url(lead_id)
    return LeadReceipt(lead_id=lead_id, status_url=service.status_url(lead_id))


@router.get("/{lead_id}")
async def read_lead(lead_id: str, service: ServiceDep) -> LeadStatus:
    """What intake knows about a lead (404 if it knows nothing)."""
    row = await service.lead_status(lead_id)
    if row is None:
        raise Problem(404, "Lead not found", f"Intake has no lead {lead_id!r}.")
    return LeadStatus.model_validate(row)
