"""The router's HTTP API for key accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from conveyor.router.entrypoints.auth import ADMIN
from conveyor.router.entrypoints.deps import ServiceDep, ctx, run
from conveyor.router.entrypoints.schemas import Name, RepId
from conveyor.router.service_layer import accounts
from conveyor.router.service_layer.accounts import (
    ChangeKeyAccountOwner,
    RegisterKeyAccount,
)

accounts_api = APIRouter(prefix="/v1/key-accounts", tags=["key accounts"], dependencies=ADMIN)
Domain = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]+$"),
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()./-]{7,30}$")]


class KeyAccountIn(BaseModel):
    """A named account with an owner, identified by domains, phones and its name."""

    account_id: RepId
    name: Name
    owner_rep_id: RepId
    domains: list[Domain] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)


class OwnerIn(BaseModel):
    """The new owner."""

    owner_rep_id: RepId


@accounts_api.post("", status_code=201)
async def post_key_account(body: KeyAccountIn, service: ServiceDep) -> KeyAccountIn:
    """Register a key account (KeyAccountRegistered)."""
    cmd = RegisterKeyAccount(
        body.account_id,
        body.name,
        body.owner_rep_id,
        tuple(body.domains),
        tuple(body.phones),
    )
    await run(service, lambda uow: accounts.register_key_account(cmd, uow, **ctx(service)))
    return body


@accounts_api.put("/{account_id}/owner")
async def put_owner(account_id: str, body: OwnerIn, service: ServiceDep) -> dict[str, str]:
    """Give the account to another rep (KeyAccountOwnerChanged)."""
    cmd = ChangeKeyAccountOwner(account_id, body.owner_rep_id)
    await run(service, lambda uow: accounts.change_key_account_owner(cmd, uow, **ctx(service)))
    return {"account_id": account_id, "owner_rep_id": body.owner_rep_id}
