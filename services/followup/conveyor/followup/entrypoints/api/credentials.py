"""POST /v1/credentials: the back office gives a rep their credential for this API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from conveyor.followup.entrypoints.api.auth import AdminDep
from conveyor.followup.entrypoints.api.deps import get_service
from conveyor.followup.service_layer.access import issue_credential
from conveyor.followup.service_layer.commands import IssueCredential

router = APIRouter(prefix="/v1/credentials", tags=["credentials"], dependencies=[AdminDep])


class CredentialRequest(BaseModel):
    """Whose credential to issue."""

    rep_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.@-]+$")


class IssuedCredential(BaseModel):
    """The rep's new token: shown this once, kept only as a hash."""

    rep_id: str
    token: str


@router.post("", status_code=201)
async def issue(body: CredentialRequest, request: Request) -> IssuedCredential:
    """Issue a new credential for the rep; the one before it stops working."""
    token = await get_service(request).execute(issue_credential, IssueCredential(body.rep_id))
    return IssuedCredential(rep_id=body.rep_id, token=token)
