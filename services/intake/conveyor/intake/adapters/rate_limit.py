"""A per-source request limit counted in the database, so every replica shares it."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Insert, Integer, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.store.engine import unflushed
from conveyor.intake.adapters.tables import rate_windows, sources
from conveyor.intake.service_layer.grouping import GroupCommit

WINDOW_SECONDS = 60


class KeyNotCurrent(Exception):
    """The key is no longer its source's current key, or the source was revoked."""


def _count_under_key(insert: Any, *, wait_for_flush: bool = True) -> Insert:
    """``n`` hits on the window of the source whose current key this is (nothing if none);
    without waiting for the flush, on PostgreSQL: a count lost in a crash of the server lets
    a source a few more requests that minute, and the commits of leads no longer queue
    behind the counts' flushes."""
    hits = bindparam("n", type_=Integer)
    counted_source = (
        select(sources.c.source_id, bindparam("window", type_=BigInteger), hits)
        .where(sources.c.key_id == bindparam("key_id"))
        .where(sources.c.revoked.is_(False))
    )
    if not wait_for_flush:
        counted_source = counted_source.where(unflushed())
    statement = insert(rate_windows).from_select(
        ["source_id", "window_start", "hits"], counted_source
    )
    counted: Insert = statement.on_conflict_do_update(
        index_elements=[rate_windows.c.source_id, rate_windows.c.window_start],
        set_={"hits": rate_windows.c.hits + statement.excluded.hits},
    ).returning(rate_windows.c.source_id, rate_windows.c.hits)
    return counted


COUNT_UNDER_KEY = {
    "postgresql": _count_under_key(postgresql.insert, wait_for_flush=False),
    "sqlite": _count_under_key(sqlite.insert),
}
FORGET_OLD_WINDOWS = delete(rate_windows).where(
    rate_windows.c.source_id == bindparam("source_id"),
    rate_windows.c.window_start < bindparam("window"),
)


@dataclass(frozen=True)
class Hit:
    """One request made with a key, at a time, under a limit."""

    key_id: str
    limit: int
    now: float

    @property
    def window(self) -> int:
        """The start of the minute the request falls in."""
        return int(self.now // WINDOW_SECONDS) * WINDOW_SECONDS


Admission = float | None | KeyNotCurrent
"""None: within the limit; seconds until the next window; or the key is not current."""


class SqlRateLimiter:
    """Fixed one-minute windows: each request adds one to its source's current window.

    Requests made at the same time are counted together (group commit): one statement adds
    the group's hits per key and each request learns its own place in the window; a source's
    window row is written once per group instead of once per request, each write waiting
    for the one before it to commit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.grouped: GroupCommit[Hit, Admission] = GroupCommit(self._count, self._count_one)

    async def hit(self, key_id: str, *, limit: int, now: float) -> float | None:
        """Count a request made with a key; None if within the limit, else the seconds until
        the next window. KeyNotCurrent (nothing counted) if the key was rotated away or its
        source revoked: checked in the same statement, so every replica sees it at once."""
        admitted = await self.grouped.submit(Hit(key_id, limit, now))
        if isinstance(admitted, KeyNotCurrent):
            raise admitted
        return admitted

    async def _count_one(self, hit: Hit) -> Admission:
        return (await self._count([hit]))[0]

    async def _count(self, hits: Sequence[Hit]) -> list[Admission]:
        """Count the hits, one statement per key and window, in one connection."""
        groups: dict[tuple[str, int], list[int]] = {}
        for n, hit in enumerate(hits):
            groups.setdefault((hit.key_id, hit.window), []).append(n)
        admitted: list[Admission] = [None] * len(hits)
        async with _writing(self.engine) as conn:
            for (key_id, window), members in groups.items():
                params = {"key_id": key_id, "window": window, "n": len(members)}
                row = (await conn.execute(COUNT_UNDER_KEY[conn.dialect.name], params)).first()
                if row is None:
                    for n in members:
                        admitted[n] = KeyNotCurrent(key_id)
                    continue
                first = row.hits - len(members) + 1
                if first == 1:  # a new window: the source's older ones are done with
                    forget = {"source_id": row.source_id, "window": window}
                    await conn.execute(FORGET_OLD_WINDOWS, forget)
                for place, n in enumerate(members, first):
                    admitted[n] = _admission(hits[n], place)
        return admitted


def _admission(hit: Hit, place: int) -> float | None:
    """None if the request's place in its window is within the limit, else seconds to wait."""
    if place <= hit.limit:
        return None
    return float(max(1, math.ceil(hit.window + WINDOW_SECONDS - hit.now)))


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
