"""Repeat orders as a read model, and the accounts' order count and last order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from conveyor.events import Recorded
from conveyor.events.catalogue.followup import AccountWentDormant, RepeatOrderRecorded
from conveyor.events.codec import format_time
from conveyor.events.projection import RowProjection
from conveyor.events.rows import Rows
from conveyor.followup.adapters.tables import accounts, orders


class OrdersProjection(RowProjection):
    """Each repeat order, and its account's count and last order (a new order wakes a
    dormant account)."""

    tables: Sequence[Table] = (orders,)
    handles: frozenset[str] = frozenset(
        {RepeatOrderRecorded.event_type, AccountWentDormant.event_type}
    )

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Add the order and count it on the account; or mark the account dormant."""
        event = recorded.envelope.data
        if isinstance(event, AccountWentDormant):
            await rows.update(accounts, {"account_id": event.account_id}, {"status": "dormant"})
            return
        assert isinstance(event, RepeatOrderRecorded)
        account = {"account_id": event.account_id}
        farmer_id = event.farmer_id or await _farmer_now(rows, event.account_id)
        await rows.insert(orders, _order_row(event, recorded.envelope.id, farmer_id))
        values = {"last_order_at": format_time(event.ordered_at), "status": "active"}
        await rows.update(accounts, account, values, add={"order_count": 1})


async def _farmer_now(rows: Rows, account_id: str) -> str | None:
    """The account's farmer at this point of the log (orders recorded before farmer_id was)."""
    account = await rows.get(accounts, {"account_id": account_id})
    return None if account is None else account["farmer_id"]


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
