"""Named positions in the log: how far a relay or a follower has got."""

from __future__ import annotations

from sqlalchemy import MetaData, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.store.schema import tracking_tables

_positions, _ = tracking_tables(MetaData())


async def load_position(conn: AsyncConnection, name: str) -> int:
    """The position recorded under name (0 when none is)."""
    query = select(_positions.c.position).where(_positions.c.name == name)
    return int((await conn.execute(query)).scalar() or 0)


async def save_position(conn: AsyncConnection, name: str, position: int) -> None:
    """Record position under name, in the caller's transaction."""
    where = _positions.c.name == name
    result = await conn.execute(update(_positions).where(where).values(position=position))
    if result.rowcount == 0:
        await conn.execute(insert(_positions).values(name=name, position=position))
