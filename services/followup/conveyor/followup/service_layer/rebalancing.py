"""Farmer rebalancing: when a farmer leaves or goes on long leave, each of their accounts
moves to another farmer by the portfolio rules, and every move is recorded."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope
from conveyor.events.catalogue.followup import AccountReassigned, FarmerAvailabilityChanged
from conveyor.events.catalogue.router import RepAvailabilityChanged, RepUpdated
from conveyor.followup.domain.handover import hand_over
from conveyor.followup.service_layer.ports import FarmerLoads, Placement
from conveyor.followup.service_layer.streams import Streams, farmer_stream


@dataclass(frozen=True)
class Rebalancing:
    """Where it writes, what it reads and how long a leave must be to move accounts."""

    streams: Streams
    farmers: FarmerLoads
    committed: Callable[[], None]
    long_leave_days: int = 14
    default_cap: int | None = None


def is_long(until: datetime | None, since: datetime, days: int) -> bool:
    """Whether a leave lasting until until (None: open-ended) is long enough to move accounts."""
    return until is None or until - since >= timedelta(days=days)


async def on_availability(envelope: Envelope, conn: AsyncConnection, *, rb: Rebalancing) -> None:
    """A farmer's availability changed: recorded; a long leave moves their accounts."""
    change = envelope.data
    assert isinstance(change, RepAvailabilityChanged)
    moves = not change.available and is_long(change.until, envelope.time, rb.long_leave_days)
    reason = change.reason or ("back" if change.available else "on leave")
    await _changed(conn, rb, envelope, change.rep_id, change.available, reason, change.until, moves)


async def on_update(envelope: Envelope, conn: AsyncConnection, *, rb: Rebalancing) -> None:
    """A farmer made inactive left: recorded, and their accounts move; active again: back."""
    update = envelope.data
    assert isinstance(update, RepUpdated)
    active = update.changes.get("active")
    if not isinstance(active, bool):
        return
    reason = "back" if active else "left"
    await _changed(conn, rb, envelope, update.rep_id, active, reason, None, not active)


async def _changed(
    conn: AsyncConnection,
    rb: Rebalancing,
    cause: Envelope,
    farmer_id: str,
    available: bool,
    reason: str,
    until: datetime | None,
    moves: bool,
) -> None:
    stream = farmer_stream(farmer_id)
    version = await rb.streams.version(conn, stream)
    if version == 0:
        return  # not a farmer
    event = FarmerAvailabilityChanged(
        farmer_id=farmer_id, available=available, reason=reason, until=until
    )
    await rb.streams.append(conn, stream, [event], expected_version=version, cause=cause)
    if moves:
        for placement in await rb.farmers.accounts_of(conn, farmer_id):
            await _move(conn, rb, placement, farmer_id, f"farmer {reason}", cause)
    rb.committed()


async def _move(
    conn: AsyncConnection,
    rb: Rebalancing,
    placement: Placement,
    farmer_id: str,
    why: str,
    cause: Envelope,
) -> None:
    loads = [
        f if f.cap is not None else dataclasses.replace(f, cap=rb.default_cap)
        for f in await rb.farmers.enrolled(conn)
    ]
    owner = await rb.farmers.farmer_of_client(conn, placement.client_key or "")
    traits = dataclasses.replace(placement.traits, client_farmer=owner)
    handover = hand_over(loads, traits, excluding=[farmer_id])
    moved = AccountReassigned(
        account_id=placement.account_id,
        from_farmer_id=farmer_id,
        to_farmer_id=handover.farmer_id,
        reason=f"{why}; {handover.reason}",
        rule=handover.rule,
        reasons=handover.reasons,
    )
    version = await rb.streams.version(conn, placement.account_id)
    await rb.streams.append(
        conn, placement.account_id, [moved], expected_version=version, cause=cause
    )
