"""The router's HTTP API for reps: register, change, availability and absences."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from conveyor.events.store import ConcurrencyError
from conveyor.events.web import Problem
from conveyor.router.adapters.queries import list_reps
from conveyor.router.bootstrap import RouterService
from conveyor.router.domain.reps import Rep
from conveyor.router.entrypoints.auth import ADMIN
from conveyor.router.entrypoints.deps import ServiceDep, ctx, run
from conveyor.router.entrypoints.rep_settings import AbsenceIn, AvailabilityIn, as_utc
from conveyor.router.entrypoints.schemas import RepIn, RepKeyOut, RepOut, RepPatch, SecretOut
from conveyor.router.service_layer import credentials, handlers
from conveyor.router.service_layer.commands import (
    CancelAbsence,
    ChangeAvailability,
    RegisterRep,
    ScheduleAbsence,
    UpdateRep,
)
from conveyor.webhooks.safety import UnsafeEndpoint, check_endpoint

reps_api = APIRouter(prefix="/v1/reps", tags=["reps"], dependencies=ADMIN)


@reps_api.post("", status_code=201, response_model=RepOut)
async def post_rep(body: RepIn, service: ServiceDep) -> RepOut:
    """Register a rep (RepRegistered) with a first webhook signing secret, shown once."""
    await check_webhook(service, body.webhook_url)
    cmd = RegisterRep(
        rep_id=body.rep_id,
        name=body.name,
        role=body.role,
        pools=tuple(body.pools),
        time_zone=body.time_zone,
        webhook_url=str(body.webhook_url) if body.webhook_url else None,
        active=body.active,
        settings=body.settings(),
    )
    try:
        async with service.unit_of_work() as uow:
            await handlers.register_rep(cmd, uow, source=service.runtime.source)
            secret = await credentials.rotate_webhook_secret(
                cmd.rep_id, uow, **ctx(service), overlap=timedelta(0)
            )
    except ConcurrencyError:
        raise Problem(409, "Rep already registered", f"rep {body.rep_id!r} exists") from None
    rep = await get_rep(body.rep_id, service)
    return rep.model_copy(update={"webhook_secret": secret})


@reps_api.get("", response_model=list[RepOut])
async def get_reps(service: ServiceDep) -> list[RepOut]:
    """Every registered rep."""
    return await _with_absences(service, await list_reps(service.runtime.engine))


@reps_api.get("/{rep_id}", response_model=RepOut)
async def get_rep(rep_id: str, service: ServiceDep) -> RepOut:
    """One rep with their settings."""
    rows = await list_reps(service.runtime.engine, rep_id=rep_id)
    if not rows:
        raise Problem(404, "Not found", f"no rep {rep_id}")
    return (await _with_absences(service, rows))[0]


@reps_api.patch("/{rep_id}", response_model=RepOut)
async def patch_rep(rep_id: str, body: RepPatch, service: ServiceDep) -> RepOut:
    """Change some of a rep's fields or settings; the change is a RepUpdated event."""
    changes = body.changes()
    if not changes:
        raise Problem(422, "Nothing to change", errors=[{"field": "body", "reason": "empty"}])
    await check_webhook(service, body.webhook_url)
    cmd = UpdateRep(rep_id=rep_id, changes=changes)
    await run(service, lambda uow: handlers.update_rep(cmd, uow, **ctx(service)))
    return await get_rep(rep_id, service)


@reps_api.post("/{rep_id}/availability", response_model=RepOut)
async def post_availability(rep_id: str, body: AvailabilityIn, service: ServiceDep) -> RepOut:
    """Make a rep available or unavailable now (RepAvailabilityChanged)."""
    cmd = ChangeAvailability(rep_id, body.available, body.reason)
    await run(service, lambda uow: handlers.change_availability(cmd, uow, **ctx(service)))
    return await get_rep(rep_id, service)


@reps_api.post("/{rep_id}/absences", status_code=201)
async def post_absence(rep_id: str, body: AbsenceIn, service: ServiceDep) -> dict[str, str]:
    """Schedule an absence, whole or partial days (RepAbsenceScheduled)."""
    absence_id = body.absence_id or str(uuid.uuid4())
    cmd = ScheduleAbsence(
        rep_id, absence_id, as_utc(body.starts_at), as_utc(body.ends_at), body.reason
    )
    await run(service, lambda uow: handlers.schedule_absence(cmd, uow, **ctx(service)))
    return {"absence_id": absence_id}


@reps_api.delete("/{rep_id}/absences/{absence_id}", status_code=204)
async def delete_absence(rep_id: str, absence_id: str, service: ServiceDep) -> None:
    """Call off an absence (RepAbsenceCancelled)."""
    cmd = CancelAbsence(rep_id, absence_id)
    await run(service, lambda uow: handlers.cancel_absence(cmd, uow, **ctx(service)))


@reps_api.post("/{rep_id}/keys", status_code=201, response_model=RepKeyOut)
async def post_key(rep_id: str, service: ServiceDep) -> RepKeyOut:
    """A new API key for the rep's app (RepKeyIssued); the key is shown only here."""
    key = await run(service, lambda uow: credentials.issue_rep_key(rep_id, uow, **ctx(service)))
    return RepKeyOut(rep_id=rep_id, key_id=key.key_id, key=key.key)


@reps_api.delete("/{rep_id}/keys/{key_id}", status_code=204)
async def delete_key(rep_id: str, key_id: str, service: ServiceDep) -> None:
    """Revoke one of the rep's API keys (RepKeyRevoked)."""
    await run(service, lambda uow: credentials.revoke_rep_key(rep_id, key_id, uow, **ctx(service)))


@reps_api.post("/{rep_id}/webhook-secret", status_code=201, response_model=SecretOut)
async def post_webhook_secret(rep_id: str, service: ServiceDep) -> SecretOut:
    """Rotate the rep's signing secret (RepWebhookSecretRotated): the new one is shown only
    here; the old one keeps signing beside it for the overlap window, then expires."""
    hours = service.settings.webhook_secret_overlap_hours
    secret = await run(
        service,
        lambda uow: credentials.rotate_webhook_secret(
            rep_id, uow, **ctx(service), overlap=timedelta(hours=hours)
        ),
    )
    return SecretOut(rep_id=rep_id, webhook_secret=secret, previous_valid_for_hours=hours)


async def check_webhook(service: RouterService, url: object) -> None:
    """Refuse a webhook URL that is not https (in production) or reaches a private,
    loopback, link-local or metadata address once resolved."""
    if url is None:
        return
    try:
        await check_endpoint(str(url), service.endpoint_policy)
    except UnsafeEndpoint as exc:
        errors = [{"field": "webhook_url", "reason": str(exc)}]
        raise Problem(422, "Webhook URL refused", str(exc), errors=errors) from None


async def _with_absences(service: RouterService, rows: list[dict[str, Any]]) -> list[RepOut]:
    """Reps from the read model, with the absences the routing state holds for them."""
    async with service.runtime.engine.connect() as conn:
        reps = (await service.cache.refreshed(conn)).reps
    return [
        RepOut(
            **row,
            absences=_absences(reps.get(row["rep_id"])),
            webhook_status=_status(reps.get(row["rep_id"])),
        )
        for row in rows
    ]


def _status(rep: Rep | None) -> str:
    return rep.webhook_status if rep else "healthy"


def _absences(rep: Rep | None) -> list[dict[str, Any]]:
    return [asdict(a) for a in rep.absences] if rep else []
