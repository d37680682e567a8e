"""A service's processes hear of each other's commits on PostgreSQL: a transaction that took
the log lock on a marked engine announces itself at commit (never at rollback), and a
listener passes over its own engine's commits; a Runtime wakes its relay and workers on the
commits of another process of the service."""

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.commits import listen, notify_as
from conveyor.events.runtime import Runtime
from conveyor.events.store import create_engine, lock_log
from conveyor.events.store.engine import COMMITS_CHANNEL
from conveyor.events.transport.embedded import EmbeddedTransport
from tests.support import wait_until

pytestmark = pytest.mark.postgres


async def log_locked(
    engine: AsyncEngine, *, commit: bool, appending: bool = True, read_first: bool = False
) -> None:
    """A transaction that takes the log lock (to read first, then to append, if asked)."""
    async with engine.connect() as conn:
        await conn.begin()
        if read_first:
            await lock_log(conn)
        await lock_log(conn, appending=appending)
        if commit:
            await conn.commit()
        else:
            await conn.rollback()


async def test_only_committed_appending_transactions_of_a_marked_engine_are_announced(
    postgres_server: Any, unique_name: str
) -> None:
    url = postgres_server.create_database(unique_name)
    engines = [create_engine(url) for _ in range(5)]
    rolled_back, read_only, read_then_append, append, plain = engines
    marks = {engine: notify_as(engine) for engine in engines[:4]}
    notices: list[str] = []
    listener = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await listener.add_listener(COMMITS_CHANNEL, lambda *args: notices.append(args[3]))
    try:
        await log_locked(rolled_back, commit=False)
        await log_locked(read_only, commit=True, appending=False)  # the lock taken to read
        await log_locked(plain, commit=True)  # not marked
        await log_locked(read_then_append, commit=True, read_first=True)
        await log_locked(append, commit=True)
        # one listener hears notices in commit order: had any of the first three been
        # announced, it would be among the first two heard
        await wait_until(lambda: len(notices) >= 2, what="the appending commits announced")
        assert notices == [marks[read_then_append], marks[append]]
    finally:
        await listener.close()
        for engine in engines:
            await engine.dispose()


async def test_a_listener_hears_the_other_engines_commits_only(
    postgres_server: Any, unique_name: str
) -> None:
    url = postgres_server.create_database(unique_name)
    own, other, third, plain = (create_engine(url) for _ in range(4))
    own_mark, _, _ = (notify_as(engine) for engine in (own, other, third))
    heard: list[str] = []
    stop = asyncio.Event()
    listening = asyncio.create_task(listen(own, own_mark, lambda: heard.append("heard"), stop))
    try:
        await wait_until(lambda: heard == ["heard"], what="the listener in place")
        await log_locked(own, commit=True)  # its own: passed over
        await log_locked(other, commit=False)  # rolled back: never announced
        await log_locked(plain, commit=True)  # an unmarked engine announces nothing
        await log_locked(other, commit=True, appending=False)  # locked to read only: nothing
        await log_locked(third, commit=True)
        await wait_until(lambda: len(heard) == 2, what="the third engine's commit heard")
        await log_locked(other, commit=True, read_first=True)  # locked to read, then appending
        await wait_until(lambda: len(heard) == 3, what="the other engine's commit heard")
        # notices arrive in commit order: had the own, rolled-back, unmarked or read-only
        # transactions been announced, they would have been heard before the third's commit
        assert heard == ["heard"] * 3
    finally:
        stop.set()
        await listening
        for engine in (own, other, third, plain):
            await engine.dispose()


async def test_a_runtime_wakes_its_workers_on_another_process_commit(
    postgres_server: Any, unique_name: str, tmp_path: Any
) -> None:
    url = postgres_server.create_database(unique_name)
    woken = asyncio.Event()

    async def worker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await waker.wait(stop, 3600)  # polls once an hour: only a wake-up moves it
            woken.set()

    transport = EmbeddedTransport.from_url(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
    runtime = Runtime(name="intake", engine=create_engine(url), transport=transport)
    waker = runtime.add_worker(worker)
    other = create_engine(url)
    notify_as(other)
    await runtime.start()
    try:
        await asyncio.wait_for(woken.wait(), 30)  # the listener's first call, once in place
        woken.clear()
        await log_locked(other, commit=True)
        await asyncio.wait_for(woken.wait(), 30)
    finally:
        await runtime.stop()
        await other.dispose()
