"""``/v1/leads``: a source submits a lead, then follows it."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Response

from conveyor.events import logs
from conveyor.events.web import PROBLEM_RESPONSE, Problem
from conveyor.intake.entrypoints.auth import CallerDep, KeyedSourceDep, ServiceDep
from conveyor.intake.entrypoints.cleaning import to_command
from conveyor.intake.entrypoints.schemas import LeadIn, LeadReceipt, LeadStatus
from conveyor.intake.entrypoints.visibility import visible_lead
from conveyor.intake.service_layer.access import Caller
from conveyor.intake.service_layer.idempotency import IdempotencyKey

router = APIRouter(
    prefix="/v1/leads",
    tags=["leads"],
    responses={status: PROBLEM_RESPONSE for status in (401, 403, 404, 409, 429)},
)
IdempotencyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
]


@router.post("", status_code=202)
async def submit_lead(
    body: LeadIn,
    source: KeyedSourceDep,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyHeader = None,
) -> LeadReceipt:
    """Accept a lead as the calling source; answers once it is stored. The request is counted
    against the source's rate limit in the lead's transaction."""
    caller = source.caller
    try:
        claimed_as(body, caller)
        hit = service.hit(source)
        command = to_command(body, caller, fingerprint(body, idempotency_key), hit=hit)
    except Exception:
        await service.admit(source)  # counted all the same; a refusal answers first
        raise
    receipt = await service.receive_lead(command)
    logs.annotate(lead_id=receipt.lead_id)
    response.headers["Location"] = service.status_url(receipt.lead_id)
    if receipt.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return LeadReceipt(
        lead_id=receipt.lead_id,
        status_url=service.status_url(receipt.lead_id),
        duplicate_of=await visible_lead(service, caller, receipt.duplicate_of),
    )


@router.get("/{lead_id}")
async def read_lead(lead_id: str, caller: CallerDep, service: ServiceDep) -> LeadStatus:
    """What intake knows about a lead; 404 unless it is the caller's own (or the admin's)."""
    logs.annotate(lead_id=lead_id)
    row = await service.lead_status(lead_id)
    if row is None or not (caller.is_admin or row["source"] == caller.source_id):
        raise Problem(404, "Lead not found", f"Intake has no lead {lead_id!r} for you.")
    shown = {
        key: await visible_lead(service, caller, row[key])
        for key in ("duplicate_of", "previous_lead_id")
    }
    return LeadStatus.model_validate({**row, **shown})


def claimed_as(body: LeadIn, source: Caller) -> None:
    """403 if the body claims to come from another source than the key's."""
    if body.source is not None and body.source != source.source_id:
        detail = f"This API key posts as {source.source_id!r}, not {body.source!r}."
        raise Problem(403, "A key can only post as its own source", detail)


def fingerprint(body: LeadIn, key: str | None) -> IdempotencyKey | None:
    """The Idempotency-Key with a fingerprint of the body as validated (None without a key)."""
    if key is None:
        return None
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    return IdempotencyKey(key=key, fingerprint=digest)
