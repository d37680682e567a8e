"""GET /v1/accounts/{account_id}: an account handed over to a farmer."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.events.web import Problem
from conveyor.followup.entrypoints.api.deps import ReadModelsDep

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class Account(BaseModel):
    """A client account: who won it and which farmer looks after it."""

    account_id: str
    lead_id: str
    hunter_id: str
    farmer_id: str
    company: str | None
    handed_over_at: datetime
    cadence_id: str | None
    cadence_version: int | None
    started_on: date | None
    time_zone: str | None


@router.get("/{account_id}")
async def get_account(account_id: str, read_models: ReadModelsDep) -> Account:
    """One account; 404 problem when no account has that id."""
    found = await read_models.account(account_id)
    if found is None:
        raise Problem(404, "Account not found", f"no account has the id {account_id!r}")
    return Account.model_validate(asdict(found))
