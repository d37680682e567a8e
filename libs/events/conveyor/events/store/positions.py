"""Named positions in the log: how far a relay or a follower has got."""

from __future__ import annotations

from sqlalchemy import MetaData, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.store.schema import tracking_tables

_positions, _ = tracking_tables(MetaData())


async def load_position(conn: AsyncConnection, name: str) -> int:
    """The position recorded under name (0 when none is)."""
    query = select(_positions.c.position).where(_positions.c.name == name)
    return int((await conn.execute(query)).scalar() or 0)


async def save_position(conn: AsyncConnection, name: str, position: int) -> None:
    """Record position under name, in the caller's transaction (one statement)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(_positions).values(name=name, position=position)
    await conn.execute(
        upsert.on_conflict_do_update(index_elements=["name"], set_={"position": position})
    )
