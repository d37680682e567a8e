"""Who is calling: the back office (the admin token) or a rep (their own credential)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conveyor.events.web import Problem
from conveyor.followup.entrypoints.api.deps import get_service
from conveyor.followup.service_layer.access import Caller

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <token>")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_caller(request: Request, credentials: Credentials) -> Caller:
    """The caller the bearer token names (401 when there is none or it is unknown)."""
    if credentials is None:
        raise Problem(401, "Not authenticated", "send Authorization: Bearer <token>")
    caller = await get_service(request).authenticate(credentials.credentials)
    if caller is None:
        raise Problem(401, "Not authenticated", "the token is unknown or was replaced")
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_admin(request: Request, caller: CallerDep) -> Caller:
    """Only the back office (403 for a rep)."""
    if not caller.is_admin:
        raise Problem(403, "Forbidden", "this call needs the admin token")
    return caller


def require_rep(caller: CallerDep) -> str:
    """Only a rep with their own credential (403 for the back office); their id."""
    if caller.rep_id is None:
        raise Problem(403, "Forbidden", "only a rep, with their own credential, can do this")
    return caller.rep_id


AdminDep = Depends(require_admin)
RepDep = Annotated[str, Depends(require_rep)]
