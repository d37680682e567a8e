"""/v1/accounts/{account_id}/orders and /history: repeat orders and what happened since."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from conveyor.events.web import Problem
from conveyor.followup.entrypoints.api.accounts import full_view
from conveyor.followup.entrypoints.api.auth import CallerDep
from conveyor.followup.entrypoints.api.deps import ReadModelsDep, get_service
from conveyor.followup.service_layer.commands import RecordOrder
from conveyor.followup.service_layer.orders import record_order

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class Order(BaseModel):
    """A repeat order; order_ref (the order system's id) makes a retry harmless."""

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    ordered_at: datetime | None = None
    order_ref: str | None = Field(default=None, min_length=1, max_length=200)


class OrderRecorded(BaseModel):
    """Whether the order was new (201) or its reference was recorded before (200)."""

    account_id: str
    recorded: bool


class HistoryItem(BaseModel):
    """One event of the account's history."""

    type: str
    time: datetime
    data: dict[str, Any]


@router.post("/{account_id}/orders", status_code=201)
async def add_order(
    account_id: str, body: Order, caller: CallerDep, request: Request, response: Response
) -> OrderRecorded:
    """Record a repeat order: the account's farmer, or the order system with the admin token."""
    service = get_service(request)
    command = RecordOrder(
        account_id=account_id,
        amount=body.amount,
        currency=body.currency,
        ordered_at=body.ordered_at or service.context.clock.now(),
        order_ref=body.order_ref,
        rep_id=None if caller.is_admin else caller.rep_id,
    )
    recorded = await service.execute(record_order, command)
    if not recorded:
        response.status_code = 200
    return OrderRecorded(account_id=account_id, recorded=recorded)


@router.get("/{account_id}/history")
async def history(
    account_id: str, caller: CallerDep, request: Request, read_models: ReadModelsDep
) -> list[HistoryItem]:
    """Everything that happened to the account, oldest first (not for the hunter)."""
    found = await read_models.account(account_id)
    if found is None or not await full_view(caller, found, read_models):
        raise Problem(404, "Account not found", f"no account you can see has the id {account_id!r}")
    runtime = get_service(request).runtime
    async with runtime.engine.connect() as conn:
        stream = await runtime.store.read_stream(conn, account_id)
    return [
        HistoryItem(type=r.envelope.type, time=r.envelope.time, data=r.envelope.data.model_dump())
        for r in stream
    ]
