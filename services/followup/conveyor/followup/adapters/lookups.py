"""Single-row reads the commands check, over the read models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.followup.adapters.tables import accounts, credentials, orders, tasks
from conveyor.followup.domain.calendar import Place
from conveyor.followup.domain.outcomes import OPEN_STATES
from conveyor.followup.service_layer.ports import AccountRef, Lookups, TaskState

_WHERE = (accounts.c.time_zone, accounts.c.country, accounts.c.subdivision)


def _place(row: Any) -> Place:
    return Place(row.country, row.subdivision)


class SqlLookups(Lookups):
    """Reads credentials and tasks in the caller's transaction."""

    async def credential(self, conn: AsyncConnection, key_id: str) -> tuple[str, str] | None:
        """The (rep id, key hash) of the live credential with that key id."""
        query = select(credentials.c.rep_id, credentials.c.key_hash).where(
            credentials.c.key_id == key_id
        )
        row = (await conn.execute(query)).first()
        return (row.rep_id, row.key_hash) if row else None

    async def task(self, conn: AsyncConnection, task_id: str) -> TaskState | None:
        """The task, if it exists, with its account's time zone."""
        columns = (tasks.c.task_id, tasks.c.account_id, tasks.c.farmer_id, tasks.c.kind)
        query = (
            select(*columns, tasks.c.status, *_WHERE)
            .join(accounts, accounts.c.account_id == tasks.c.account_id)
            .where(tasks.c.task_id == task_id)
        )
        row = (await conn.execute(query)).first()
        if row is None:
            return None
        return TaskState(*row[:5], time_zone=row.time_zone or "UTC", place=_place(row))

    async def account(self, conn: AsyncConnection, account_id: str) -> AccountRef | None:
        """The account, if it was handed over."""
        columns = (accounts.c.account_id, accounts.c.farmer_id, accounts.c.status, *_WHERE)
        query = select(*columns).where(accounts.c.account_id == account_id)
        row = (await conn.execute(query)).first()
        if row is None:
            return None
        return AccountRef(row[0], row[1], row.time_zone or "UTC", row.status, place=_place(row))

    async def has_order(self, conn: AsyncConnection, account_id: str, order_ref: str) -> bool:
        """Whether the account has an order with that reference already."""
        query = select(orders.c.order_id).where(
            orders.c.account_id == account_id, orders.c.order_ref == order_ref
        )
        return (await conn.execute(query)).first() is not None

    async def undone_tasks(self, conn: AsyncConnection, account_id: str) -> list[str]:
        """The ids of the account's tasks not done nor cancelled."""
        query = select(tasks.c.task_id).where(
            tasks.c.account_id == account_id, tasks.c.status.in_(OPEN_STATES)
        )
        return list((await conn.execute(query.order_by(tasks.c.task_id))).scalars())
