"""Who is calling: the back office (the admin token) or a rep (their own token)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conveyor.events.web import Problem
from conveyor.followup.entrypoints.api.deps import get_service

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <token>")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def unauthorized(detail: str) -> Problem:
    """401: no usable credential."""
    return Problem(401, "Not authenticated", detail)


def require_admin(request: Request, credentials: Credentials) -> None:
    """Let the call through only with the back office's admin token."""
    expected = get_service(request).settings.admin_token
    if expected is None:
        raise Problem(403, "Back office API disabled", "CONVEYOR_FOLLOWUP_ADMIN_TOKEN is not set")
    if credentials is None:
        raise unauthorized("send Authorization: Bearer <admin token>")
    if not hmac.compare_digest(credentials.credentials, expected.get_secret_value()):
        raise Problem(403, "Forbidden", "this call needs the admin token")


AdminDep = Depends(require_admin)
