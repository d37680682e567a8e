"""Repeat-order figures of an account and of a farmer: what the farmers' KPIs count."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.events.web import Problem
from conveyor.followup.entrypoints.api.accounts import full_view
from conveyor.followup.entrypoints.api.auth import CallerDep
from conveyor.followup.entrypoints.api.deps import ReadModelsDep

router = APIRouter(prefix="/v1", tags=["kpis"])


class RepeatOrders(BaseModel):
    """Repeat orders recorded: how many, the sum per currency, and from how many accounts."""

    count: int
    amounts: dict[str, Decimal]
    accounts: int


class AccountRepeatOrders(RepeatOrders):
    """The repeat orders of one account."""

    account_id: str


class FarmerRepeatOrders(RepeatOrders):
    """The repeat orders counted for a farmer: those placed while the account was theirs."""

    farmer_id: str


@router.get("/accounts/{account_id}/repeat-orders")
async def account_repeat_orders(
    account_id: str, caller: CallerDep, read_models: ReadModelsDep
) -> AccountRepeatOrders:
    """For the back office, the account's farmer and their team lead; 404 for anyone else."""
    found = await read_models.account(account_id)
    if found is None or not await full_view(caller, found, read_models):
        raise Problem(404, "Account not found", f"no account you can see has the id {account_id!r}")
    figures = await read_models.repeat_orders(account_id=account_id)
    return AccountRepeatOrders(account_id=account_id, **asdict(figures))


@router.get("/farmers/{farmer_id}/repeat-orders")
async def farmer_repeat_orders(
    farmer_id: str, caller: CallerDep, read_models: ReadModelsDep
) -> FarmerRepeatOrders:
    """For the back office, the farmer and their team lead; 404 for anyone else."""
    mine = caller.is_admin or caller.rep_id == farmer_id
    if not mine and not (caller.rep_id and await read_models.leads(caller.rep_id, farmer_id)):
        raise Problem(404, "Farmer not found", f"no farmer you can see has the id {farmer_id!r}")
    figures = await read_models.repeat_orders(farmer_id=farmer_id)
    return FarmerRepeatOrders(farmer_id=farmer_id, **asdict(figures))
