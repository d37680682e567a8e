"""Who is calling the router: ``Authorization: Bearer <admin token | rep API key>``."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conveyor.events.web import Problem
from conveyor.router.entrypoints.deps import ServiceDep
from conveyor.router.service_layer.credentials import rep_of

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <token>")


@dataclass(frozen=True)
class Caller:
    """An administrator (rep_id None) or a rep's app (acting for that rep only)."""

    rep_id: str | None

    @property
    def is_admin(self) -> bool:
        """Whether the caller may act for anyone."""
        return self.rep_id is None


async def caller(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller a bearer token names; without an admin token configured, a call with no
    token is the administrator's (the development default)."""
    admin = service.settings.admin_token
    if credentials is None:
        if admin is None:
            return Caller(None)
        raise Problem(401, "Not authenticated", "send Authorization: Bearer <token>")
    token = credentials.credentials
    if admin is not None and hmac.compare_digest(token.encode(), admin.get_secret_value().encode()):
        return Caller(None)
    async with service.runtime.engine.connect() as conn:
        keys = (await service.cache.refreshed(conn)).keys
    if (rep_id := rep_of(token, keys)) is not None:
        return Caller(rep_id)
    raise Problem(401, "Not authenticated", "the token is not valid")


CallerDep = Annotated[Caller, Depends(caller)]


async def require_admin(who: CallerDep) -> None:
    """Only the administrator manages reps, policies and accounts."""
    if not who.is_admin:
        raise Problem(403, "Forbidden", "this needs the administrator's token")


ADMIN = [Depends(require_admin)]
