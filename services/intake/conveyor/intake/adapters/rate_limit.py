"""A per-source request limit counted in the database, so every replica shares it."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.intake.adapters.tables import rate_windows

WINDOW_SECONDS = 60


class SqlRateLimiter:
    """Fixed one-minute windows: each request adds one to its source's current window."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def hit(self, source_id: str, *, limit: int, now: float) -> float | None:
        """Count a request; None if within the limit, else the seconds until the next window."""
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        async with self.engine.begin() as conn:
            hits = await _count(conn, source_id, window)
            await conn.execute(
                delete(rate_windows)
                .where(rate_windows.c.source_id == source_id)
                .where(rate_windows.c.window_start < window)
            )
        if hits <= limit:
            return None
        return float(max(1, math.ceil(window + WINDOW_SECONDS - now)))


async def _count(conn: AsyncConnection, source_id: str, window: int) -> int:
    insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(rate_windows)
        .values(source_id=source_id, window_start=window, hits=1)
        .on_conflict_do_update(
            index_elements=[rate_windows.c.source_id, rate_windows.c.window_start],
            set_={"hits": rate_windows.c.hits + 1},
        )
        .returning(rate_windows.c.hits)
    )
    return int((await conn.execute(statement)).scalar_one())
