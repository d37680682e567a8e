"""Commits made by a service's other processes (worker processes of one server, or
replicas): on PostgreSQL every transaction that appends on an engine marked with
``notify_as`` also sends a notification (``lock_log(conn, appending=True)``), delivered at
its commit and dropped at its rollback. ``listen`` hears the notifications of the others
and wakes this process's relay and workers, so an event committed by another process is
published at once instead of at the relay's next poll. SQLite serves one process: nothing
is sent or heard."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.leadership import pause
from conveyor.events.store.engine import COMMITS_CHANNEL, NOTIFY_AS

log = logging.getLogger(__name__)
CHECK_SECONDS = 5.0
RETRY_SECONDS = 1.0


def notify_as(engine: AsyncEngine) -> str:
    """Mark the engine's appending transactions with a notification carrying a new mark,
    and return the mark (a listener passes over its own engine's commits)."""
    mark = uuid.uuid4().hex

    @event.listens_for(engine.sync_engine, "checkout")
    def _mark(_dbapi: Any, record: Any, _proxy: Any) -> None:
        record.info[NOTIFY_AS] = mark

    return mark


async def listen(
    engine: AsyncEngine, mark: str, heard: Callable[[], None], stop: asyncio.Event
) -> None:
    """Call ``heard`` on each commit of another engine on the database, until stop is set;
    a lost connection is opened again (and ``heard`` called once, for what it missed)."""
    if engine.dialect.name != "postgresql":
        return
    while not stop.is_set():
        try:
            async with engine.connect() as conn:
                try:
                    await _listen_on(conn, mark, heard, stop)
                finally:
                    await conn.invalidate()  # never back to the pool still listening
        except Exception:
            log.exception("listening for other processes' commits failed; trying again")
        await pause(stop, RETRY_SECONDS)


async def _listen_on(
    conn: AsyncConnection, mark: str, heard: Callable[[], None], stop: asyncio.Event
) -> None:
    """Listen on conn, checking now and then that it still answers (a connection that
    does not is given up: the caller opens another)."""
    driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection

    def notified(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != mark:
            heard()

    await driver.add_listener(COMMITS_CHANNEL, notified)
    heard()  # commits made before the listener was in place
    while not stop.is_set():
        await pause(stop, CHECK_SECONDS)
        async with asyncio.timeout(CHECK_SECONDS):
            await conn.execute(text("SELECT 1"))
            await conn.commit()
