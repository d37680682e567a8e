"""Repeat orders as a read model, and the accounts' order count and last order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.catalogue.followup import AccountWentDormant, RepeatOrderRecorded
from conveyor.events.codec import format_time
from conveyor.followup.adapters.tables import accounts, orders


class OrdersProjection:
    """Each repeat order, and its account's count and last order (a new order wakes a
    dormant account)."""

    tables: Sequence[Table] = (orders,)
    handles: frozenset[str] = frozenset(
        {RepeatOrderRecorded.event_type, AccountWentDormant.event_type}
    )

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Add the order and count it on the account; or mark the account dormant."""
        event = recorded.envelope.data
        if isinstance(event, AccountWentDormant):
            where = accounts.c.account_id == event.account_id
            await conn.execute(update(accounts).where(where).values(status="dormant"))
            return
        assert isinstance(event, RepeatOrderRecorded)
        farmer_id = event.farmer_id or await _farmer_now(conn, event.account_id)
        row = _order_row(event, recorded.envelope.id, farmer_id)
        await conn.execute(insert(orders).values(row))
        values = {
            "order_count": accounts.c.order_count + 1,
            "last_order_at": format_time(event.ordered_at),
            "status": "active",
        }
        where = accounts.c.account_id == event.account_id
        await conn.execute(update(accounts).where(where).values(values))


async def _farmer_now(conn: AsyncConnection, account_id: str) -> str | None:
    """The account's farmer at this point of the log (orders recorded before farmer_id was)."""
    query = select(accounts.c.farmer_id).where(accounts.c.account_id == account_id)
    return (await conn.execute(query)).scalar()


def _order_row(
    event: RepeatOrderRecorded, order_id: str, farmer_id: str | None
) -> dict[str, object]:
    return {
        "order_id": order_id,
        "account_id": event.account_id,
        "order_ref": event.order_ref,
        "amount": str(event.amount),
        "currency": event.currency,
        "ordered_at": format_time(event.ordered_at),
        "recorded_by": event.recorded_by,
        "farmer_id": farmer_id,
    }
