"""Reading the log in chunks, in position order, with only the events of the types asked
for decoded (the rest are counted and passed over): to replay the whole log, and for the
followers that care about a few types (the webhook delivery queues)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.model import Recorded
from conveyor.events.store import EventStore, dialect_of
from conveyor.events.store.store import recorded_from_row


@dataclass(frozen=True)
class Chunk:
    """Events read in one go: those of the types asked for, how many were read in all,
    and the position of the last one read."""

    events: list[Recorded]
    read: int
    last: int


async def read_chunk(
    conn: AsyncConnection,
    store: EventStore,
    *,
    types: Collection[str],
    after: int = 0,
    limit: int = 10_000,
) -> Chunk | None:
    """Up to ``limit`` events after a position, decoding those of ``types``; None at the end."""
    rows = await read_page(conn, store, after=after, limit=limit)
    if not rows:
        return None
    registry = store.registry
    events = [recorded_from_row(registry, *row) for row in rows if row[4] in types]
    return Chunk(events, len(rows), rows[-1][0])


async def read_page(
    conn: AsyncConnection, store: EventStore, *, after: int, limit: int
) -> Sequence[Any]:
    """Up to ``limit`` rows of the log after a position, in position order, undecoded: every
    column, in ``recorded_from_row``'s order."""
    return (await conn.execute(store.page, {"after": after, "limit": limit})).all()


@asynccontextmanager
async def log_reader(
    engine: AsyncEngine, writer: AsyncConnection
) -> AsyncIterator[AsyncConnection]:
    """The connection a rebuild reads the log on while it writes on ``writer``: on
    PostgreSQL one of its own (reading committed events as the writer's statements would: a
    rebuild appends nothing), so reading the next chunk never waits for a write-out still
    running on ``writer``; elsewhere ``writer`` itself (a second SQLite connection would
    wait for the writer's lock)."""
    if dialect_of(writer) != "postgresql":
        yield writer
        return
    async with engine.connect() as reader:
        yield reader


@contextmanager
def no_collections() -> Iterator[None]:
    """Pause the cyclic garbage collector while a replay makes many short-lived objects (a
    collection every few thousand events cost a third of a rebuild's time): reference
    counting still frees everything without cycles (the rows, events and read-model rows),
    and whatever cycles were made meanwhile are collected when the collector resumes on
    exit. A collector someone else paused stays paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
