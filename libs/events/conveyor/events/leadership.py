"""One leader among a service's replicas for work that must run once at a time (the outbox
relay, a log follower, a timer wheel): on PostgreSQL a session advisory lock held on a
connection of its own, released when the holder stops or its process dies; on SQLite (one
process per database) the work simply runs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)
Work = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
RETRY_SECONDS = 1.0
CHECK_SECONDS = 5.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    """Runs work only while this replica holds the named lock."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine, self.name, self.key = engine, name, lock_key(name)
        self.leading = False

    async def run(self, work: Work, stop: asyncio.Event) -> None:
        """Wait to lead, then run work until stop is set or the lock's connection is lost."""
        if self.engine.dialect.name != "postgresql":
            self.leading = True
            await work(stop)
            return
        while not stop.is_set():
            try:
                await self._lead(work, stop)
            except Exception:
                log.exception("leadership %s lost; trying again", self.name)
            await pause(stop, RETRY_SECONDS)

    async def _lead(self, work: Work, stop: asyncio.Event) -> None:
        async with self.engine.connect() as conn:
            if not await self._try_lock(conn):
                return
            self.leading = True
            log.info("leading %s", self.name)
            halt = asyncio.Event()
            follower = asyncio.create_task(_follow(stop, halt))
            try:
                await asyncio.gather(work(halt), self._watch(conn, halt))
            finally:
                follower.cancel()
                self.leading = False
                await self._unlock(conn)

    async def _try_lock(self, conn: AsyncConnection) -> bool:
        got = await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
        await conn.commit()
        return bool(got.scalar())

    async def _watch(self, conn: AsyncConnection, halt: asyncio.Event) -> None:
        """Check the lock's connection now and then; if it is gone, halt the work."""
        while not halt.is_set():
            await pause(halt, CHECK_SECONDS)
            try:
                await conn.execute(text("SELECT 1"))
                await conn.commit()
            except Exception:
                log.exception("leadership %s: its connection is gone; halting", self.name)
                halt.set()

    async def _unlock(self, conn: AsyncConnection) -> None:
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await conn.commit()
        except Exception:
            await conn.invalidate()  # a dead connection: the server released the lock


async def _follow(stop: asyncio.Event, halt: asyncio.Event) -> None:
    await stop.wait()
    halt.set()


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait the seconds, or less if stop is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
