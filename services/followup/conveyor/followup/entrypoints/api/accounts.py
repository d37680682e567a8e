"""GET /v1/accounts/{account_id}: an account, as much of it as the caller may see."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.events.web import Problem
from conveyor.followup.adapters.views import AccountView, ReadModels
from conveyor.followup.entrypoints.api.auth import CallerDep
from conveyor.followup.entrypoints.api.deps import ReadModelsDep
from conveyor.followup.service_layer.access import Caller

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class Account(BaseModel):
    """A client account: who won it and, for its farmer, how it is followed up. The hunter who
    won it sees the deal only (view "deal")."""

    view: Literal["full", "deal"]
    account_id: str
    lead_id: str
    hunter_id: str
    farmer_id: str
    company: str | None
    handed_over_at: datetime
    cadence_id: str | None = None
    cadence_version: int | None = None
    started_on: date | None = None
    time_zone: str | None = None
    status: str | None = None
    order_count: int | None = None
    last_order_at: datetime | None = None
    country: str | None = None
    subdivision: str | None = None


DEAL_FIELDS = ("account_id", "lead_id", "hunter_id", "farmer_id", "company", "handed_over_at")


@router.get("/{account_id}")
async def get_account(account_id: str, caller: CallerDep, read_models: ReadModelsDep) -> Account:
    """The back office, the account's farmer and their team lead see it all; the hunter who
    won it sees the deal; anyone else gets 404."""
    found = await read_models.account(account_id)
    view = await _view(caller, found, read_models) if found else None
    if found is None or view is None:
        raise Problem(404, "Account not found", f"no account you can see has the id {account_id!r}")
    values = asdict(found)
    if view == "deal":
        values = {name: values[name] for name in DEAL_FIELDS}
    return Account.model_validate({**values, "view": view})


async def _view(caller: Caller, account: AccountView, read_models: ReadModels) -> str | None:
    if await full_view(caller, account, read_models):
        return "full"
    return "deal" if caller.rep_id == account.hunter_id else None


async def full_view(caller: Caller, account: AccountView, read_models: ReadModels) -> bool:
    """Whether the caller sees all of the account: the back office, its farmer, their lead."""
    if caller.is_admin or caller.rep_id == account.farmer_id:
        return True
    return bool(caller.rep_id) and await read_models.leads(str(caller.rep_id), account.farmer_id)
