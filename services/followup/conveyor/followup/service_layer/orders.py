"""Recording repeat orders: by the account's farmer or by the order system, each once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.catalogue.followup import RepeatOrderRecorded
from conveyor.followup.service_layer.commands import RecordOrder
from conveyor.followup.service_layer.context import Context
from conveyor.followup.service_layer.dormancy import watch
from conveyor.followup.service_layer.errors import NotFound

ORDER_SYSTEM = "order_system"


async def record_order(command: RecordOrder, conn: AsyncConnection, ctx: Context) -> bool:
    """Record the order in the account's history; False if its reference was recorded before."""
    account = await ctx.lookups.account(conn, command.account_id)
    if account is None or command.rep_id not in (None, account.farmer_id):
        raise NotFound(f"you have no account with the id {command.account_id!r}")
    ref = command.order_ref
    if ref is not None and await ctx.lookups.has_order(conn, command.account_id, ref):
        return False
    order = RepeatOrderRecorded(
        account_id=command.account_id,
        amount=command.amount,
        currency=command.currency,
        ordered_at=command.ordered_at,
        order_ref=ref,
        recorded_by=command.rep_id or ORDER_SYSTEM,
        farmer_id=account.farmer_id,
    )
    watched = watch(
        command.account_id,
        command.ordered_at,
        time_zone=account.time_zone,
        ordered=True,
        quiet=ctx.quiet,
    )
    version = await ctx.streams.version(conn, command.account_id)
    await ctx.streams.append(conn, command.account_id, [order, watched], expected_version=version)
    return True
