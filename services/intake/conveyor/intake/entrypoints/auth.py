"""Who is calling: ``Authorization: Bearer <source API key | admin token>``."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from conveyor.events.web import Problem
from conveyor.intake.bootstrap import IntakeService
from conveyor.intake.service_layer.access import Caller, KeyedSource, NotAuthenticated


def service_of(app: FastAPI) -> IntakeService:
    """The service the app's lifespan bootstrapped (503 before it did)."""
    service = getattr(app.state, "service", None)
    if not isinstance(service, IntakeService):
        raise Problem(503, "Intake is not started")
    return service


async def get_service(request: Request) -> IntakeService:
    """The service behind the request's app."""
    return service_of(request.app)


ServiceDep = Annotated[IntakeService, Depends(get_service)]


async def get_caller(request: Request, service: ServiceDep) -> Caller:
    """The caller named by the bearer credential (401 if missing, unknown or revoked)."""
    return await service.authenticate(bearer_credential(request))


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_keyed_source(request: Request, service: ServiceDep) -> KeyedSource:
    """The source a request's key belongs to, the request not counted yet (403 for the admin
    token, 401 for a key this replica knows to be unknown or revoked). Whoever depends on it
    counts the request before acting on it, or with the lead it records; a request that
    fails validation is counted by the validation problem's handler (``problems``), which
    answers 429 or 401 instead when it is refused."""
    credential = bearer_credential(request)
    if service.is_admin(credential):
        raise Problem(403, "Only a source can do this", "Use the source's API key.")
    source = await service.keyed_source(credential)
    request.state.admit = partial(service.admit, source)
    return source


KeyedSourceDep = Annotated[KeyedSource, Depends(get_keyed_source)]


async def get_source(request: Request, source: KeyedSourceDep, service: ServiceDep) -> Caller:
    """A source within its rate limit (403 for the admin token, 429 over the limit); the
    key's check and the request's count take one statement once the key was seen."""
    request.state.admit = None  # counted here: not again if a parameter fails validation
    return await service.admit(source)


SourceDep = Annotated[Caller, Depends(get_source)]


def bearer_credential(request: Request) -> str:
    """The credential of ``Authorization: Bearer <credential>`` (401 without one)."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <API key>'.")
    return credential.strip()


def get_admin(caller: CallerDep) -> Caller:
    """The administrator (403 for a source key)."""
    if not caller.is_admin:
        raise Problem(403, "Only the administrator can do this")
    return caller


AdminDep = Annotated[Caller, Depends(get_admin)]
