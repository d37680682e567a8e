"""Named positions in the log: how far a relay or a follower has got."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Insert, MetaData, String, bindparam, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.store.engine import unflushed
from conveyor.events.store.schema import tracking_tables

_positions, _ = tracking_tables(MetaData())


async def load_position(conn: AsyncConnection, name: str) -> int:
    """The position recorded under name (0 when none is)."""
    query = select(_positions.c.position).where(_positions.c.name == name)
    return int((await conn.execute(query)).scalar() or 0)


async def save_position(
    conn: AsyncConnection, name: str, position: int, *, flushed: bool = True
) -> None:
    """Record position under name, in the caller's transaction (one statement).

    ``flushed=False``, for a statement run alone (autocommit) by a follower that may do its
    work again (a relay whose consumers absorb duplicates): on PostgreSQL its commit does not
    wait for the disk (``unflushed``); a crash of the server can lose the last positions
    saved, never anything else."""
    waits = flushed or conn.dialect.name != "postgresql"  # SQLite's commits are its own
    await conn.execute(_SAVE[conn.dialect.name, waits], {"name": name, "position": position})


def _upsert(dialect: Any, *, wait_for_flush: bool) -> Insert:
    """Set a name's position, adding the name if new."""
    values = select(bindparam("name", type_=String), bindparam("position", type_=BigInteger))
    # a WHERE in any case: SQLite reads ``SELECT … ON CONFLICT`` without one as a join
    values = values.where(true() if wait_for_flush else unflushed())
    upsert = dialect.insert(_positions).from_select(["name", "position"], values)
    saved: Insert = upsert.on_conflict_do_update(
        index_elements=["name"], set_={"position": upsert.excluded.position}
    )
    return saved


_SAVE = {  # (dialect, whether the commit waits for the flush) -> the statement
    ("postgresql", True): _upsert(postgresql, wait_for_flush=True),
    ("postgresql", False): _upsert(postgresql, wait_for_flush=False),
    ("sqlite", True): _upsert(sqlite, wait_for_flush=True),
}
