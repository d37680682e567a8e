"""A per-source request limit counted in the database, so every replica shares it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import BigInteger, Insert, Integer, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.store.engine import unflushed
from conveyor.intake.adapters.tables import rate_windows, sources
from conveyor.intake.service_layer.grouping import GroupCommit
from conveyor.intake.service_layer.rate_limits import Admission, Hit, KeyNotCurrent


def _count_under_key(insert: Any, *, wait_for_flush: bool = True) -> Insert:
    """``n`` hits on the window of the source whose current key this is (nothing if none);
    without waiting for the flush, on PostgreSQL, for a count committed alone: one lost in a
    crash of the server lets a source a few more requests that minute, and the commits of
    leads do not queue behind the counts' flushes (in the leads' own transaction the count
    waits with them: the setting would hold for the whole transaction)."""
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
COUNT_WITH_THE_LEADS = {  # in the leads' transaction: its commit waits for the flush
    "postgresql": _count_under_key(postgresql.insert),
    "sqlite": COUNT_UNDER_KEY["sqlite"],
}
FORGET_OLD_WINDOWS = delete(rate_windows).where(
    rate_windows.c.source_id == bindparam("source_id"),
    rate_windows.c.window_start < bindparam("window"),
)


class SqlRateLimiter:
    """Fixed one-minute windows: each request adds one to its source's current window (here
    for requests counted alone; a lead's request is counted with the lead, ``count``).

    Requests made at the same time are counted together (group commit): one statement adds
    the group's hits per key and each request learns its own place in the window; a source's
    window row is written once per group instead of once per request, each write waiting
    for the one before it to commit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.grouped: GroupCommit[Hit, Admission] = GroupCommit(self._count, self._count_one)

    async def hit(self, hit: Hit) -> Admission:
        """Count a request made with a key; None if within the limit, else the seconds until
        the next window. KeyNotCurrent (nothing counted) if the key was rotated away or its
        source revoked: checked in the same statement, so every replica sees it at once."""
        return await self.grouped.submit(hit)

    async def _count_one(self, hit: Hit) -> Admission:
        return (await self._count([hit]))[0]

    async def _count(self, hits: Sequence[Hit]) -> list[Admission]:
        async with _writing(self.engine) as conn:
            return await count(conn, hits, COUNT_UNDER_KEY[conn.dialect.name])


async def count(conn: AsyncConnection, hits: Sequence[Hit], statement: Insert) -> list[Admission]:
    """Count the hits on the connection, one statement per key and window (in key order:
    transactions counting several keys lock their windows' rows in the same order)."""
    groups: dict[tuple[str, int], list[int]] = {}
    for n, hit in sorted(enumerate(hits), key=lambda item: item[1].key_id):
        groups.setdefault((hit.key_id, hit.window), []).append(n)
    admitted: list[Admission] = [None] * len(hits)
    for (key_id, window), members in groups.items():
        params = {"key_id": key_id, "window": window, "n": len(members)}
        row = (await conn.execute(statement, params)).first()
        if row is None:
            for n in members:
                admitted[n] = KeyNotCurrent(key_id)
            continue
        first = row.hits - len(members) + 1
        if first == 1:  # a new window: the source's older ones are done with
            await conn.execute(FORGET_OLD_WINDOWS, {"source_id": row.source_id, "window": window})
        for place, n in enumerate(members, first):
            admitted[n] = hits[n].at_place(place)
    return admitted


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
