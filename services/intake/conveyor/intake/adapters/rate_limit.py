"""A per-source request limit counted in the database, so every replica shares it."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import BigInteger, Insert, Integer, bindparam, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.intake.adapters.tables import rate_windows, sources

WINDOW_SECONDS = 60


class KeyNotCurrent(Exception):
    """The key is no longer its source's current key, or the source was revoked."""


def _count_under_key(insert: Any) -> Insert:
    """One hit on the window of the source whose current key this is (nothing if none)."""
    statement: Insert = (
        insert(rate_windows)
        .from_select(
            ["source_id", "window_start", "hits"],
            select(sources.c.source_id, bindparam("window", type_=BigInteger), literal(1, Integer))
            .where(sources.c.key_id == bindparam("key_id"))
            .where(sources.c.revoked.is_(False)),
        )
        .on_conflict_do_update(
            index_elements=[rate_windows.c.source_id, rate_windows.c.window_start],
            set_={"hits": rate_windows.c.hits + 1},
        )
        .returning(rate_windows.c.source_id, rate_windows.c.hits)
    )
    return statement


COUNT_UNDER_KEY = {
    "postgresql": _count_under_key(postgresql.insert),
    "sqlite": _count_under_key(sqlite.insert),
}
FORGET_OLD_WINDOWS = delete(rate_windows).where(
    rate_windows.c.source_id == bindparam("source_id"),
    rate_windows.c.window_start < bindparam("window"),
)


class SqlRateLimiter:
    """Fixed one-minute windows: each request adds one to its source's current window."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def hit(self, key_id: str, *, limit: int, now: float) -> float | None:
        """Count a request made with a key; None if within the limit, else the seconds until
        the next window. KeyNotCurrent (nothing counted) if the key was rotated away or its
        source revoked: checked in the same statement, so every replica sees it at once."""
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        async with _writing(self.engine) as conn:
            params = {"key_id": key_id, "window": window}
            row = (await conn.execute(COUNT_UNDER_KEY[conn.dialect.name], params)).first()
            if row is None:
                raise KeyNotCurrent(key_id)
            if row.hits == 1:  # a new window: the source's older ones are done with
                forget = {"source_id": row.source_id, "window": window}
                await conn.execute(FORGET_OLD_WINDOWS, forget)
        if row.hits <= limit:
            return None
        return float(max(1, math.ceil(window + WINDOW_SECONDS - now)))


@asynccontextmanager
async def _writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose statements commit as they run: in autocommit on PostgreSQL (no
    BEGIN and COMMIT round trips), in a transaction on SQLite (its writes are serialised)."""
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            yield conn
        return
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")
