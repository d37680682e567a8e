"""Queries behind the HTTP API, straight from the read models."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.followup.adapters.tables import accounts, cadences, farmers, orders, tasks


@dataclass(frozen=True)
class TaskView:
    """A follow-up task as the read model holds it."""

    task_id: str
    account_id: str
    farmer_id: str
    kind: str
    due_on: str
    status: str
    notes: str
    outcome: str | None
    completed_at: str | None
    escalated_to: str | None
    offer_code: str | None


@dataclass(frozen=True)
class AccountView:
    """An account handed over to a farmer."""

    account_id: str
    lead_id: str
    hunter_id: str
    farmer_id: str
    company: str | None
    handed_over_at: str
    client_key: str | None
    cadence_id: str | None
    cadence_version: int | None
    started_on: str | None
    time_zone: str | None
    order_count: int
    last_order_at: str | None
    status: str
    territories: str
    segment: str | None
    product_lines: str
    country: str | None
    subdivision: str | None


@dataclass(frozen=True)
class FarmerView:
    """A farmer and the size of their portfolio."""

    farmer_id: str
    name: str
    portfolio_size: int
    territories: list[str]
    segments: list[str]
    product_lines: list[str]
    cap: int | None
    team_lead_id: str | None
    time_zone: str
    available: bool
    webhook_url: str | None = None
    webhook_status: str = "enabled"


@dataclass(frozen=True)
class CadenceView:
    """The newest version of a cadence."""

    cadence_id: str
    cadence_version: int
    segment: str | None
    product_line: str | None
    steps: list[dict[str, Any]]
    published_at: str


@dataclass(frozen=True)
class RepeatOrdersView:
    """Repeat orders of an account or a farmer: how many, the sum per currency, and how
    many accounts placed them."""

    count: int
    amounts: dict[str, Decimal]
    accounts: int


class ReadModels:
    """Reads followup's read models."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def tasks(
        self,
        *,
        farmer_id: str | None = None,
        account_id: str | None = None,
        visible_to: str | None = None,
    ) -> list[TaskView]:
        """Tasks, optionally of one farmer and/or one account, soonest due first; with
        visible_to, only that rep's own tasks and those of the farmers they lead."""
        query = select(tasks).order_by(tasks.c.due_on, tasks.c.task_id)
        if visible_to is not None:
            led = select(farmers.c.farmer_id).where(farmers.c.team_lead_id == visible_to)
            query = query.where((tasks.c.farmer_id == visible_to) | tasks.c.farmer_id.in_(led))
        if farmer_id is not None:
            query = query.where(tasks.c.farmer_id == farmer_id)
        if account_id is not None:
            query = query.where(tasks.c.account_id == account_id)
        async with self.engine.connect() as conn:
            return [TaskView(**row._mapping) for row in await conn.execute(query)]

    async def leads(self, rep_id: str, farmer_id: str) -> bool:
        """Whether the rep is the team lead of the farmer."""
        query = select(farmers.c.team_lead_id).where(farmers.c.farmer_id == farmer_id)
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).scalar() == rep_id

    async def account(self, account_id: str) -> AccountView | None:
        """One account, if it was handed over."""
        query = select(accounts).where(accounts.c.account_id == account_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return AccountView(**row._mapping) if row else None

    async def repeat_orders(
        self, *, account_id: str | None = None, farmer_id: str | None = None
    ) -> RepeatOrdersView:
        """The repeat orders of one account, or those counted for one farmer."""
        query = select(orders.c.account_id, orders.c.amount, orders.c.currency)
        if account_id is not None:
            query = query.where(orders.c.account_id == account_id)
        if farmer_id is not None:
            query = query.where(orders.c.farmer_id == farmer_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        amounts: dict[str, Decimal] = {}
        for row in rows:
            amounts[row.currency] = amounts.get(row.currency, Decimal(0)) + Decimal(row.amount)
        return RepeatOrdersView(len(rows), amounts, len({row.account_id for row in rows}))

    async def cadences(self) -> list[CadenceView]:
        """The newest version of every cadence, by id."""
        query = select(cadences).order_by(cadences.c.cadence_id)
        async with self.engine.connect() as conn:
            rows = await conn.execute(query)
        return [CadenceView(**{**row._mapping, "steps": json.loads(row.steps)}) for row in rows]

    async def farmers(self) -> list[FarmerView]:
        """Every enrolled farmer, by id."""
        query = select(farmers).order_by(farmers.c.farmer_id)
        async with self.engine.connect() as conn:
            return [_farmer(row) for row in await conn.execute(query)]


def _farmer(row: Row[Any]) -> FarmerView:
    values = dict(row._mapping)
    for name in ("territories", "segments", "product_lines"):
        values[name] = json.loads(values[name])
    values["available"] = bool(values["available"])
    return FarmerView(**values)
