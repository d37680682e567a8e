"""Helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.devkit.local import free_port
from conveyor.events import Envelope
from conveyor.events.catalogue import build_registry
from conveyor.events.codec import decode
from conveyor.events.transport import Transport

T = TypeVar("T")
DEADLINE = 60.0


@asynccontextmanager
async def running_server(app: FastAPI) -> AsyncIterator[str]:
    """Serve an ASGI app over real HTTP on loopback; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, what="server start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, deadline: float = DEADLINE, what: str = "condition"
) -> T:
    """Poll probe until it returns something truthy; fail after the deadline."""
    try:
        async with asyncio.timeout(deadline):
            while not (result := await probe()):  # noqa: ASYNC110 (polls other processes)
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
    return result


async def wait_until(
    predicate: Callable[[], bool], *, deadline: float = DEADLINE, what: str = "condition"
) -> None:
    """Poll a plain predicate until it holds; fail after the deadline."""

    async def probe() -> bool:
        return predicate()

    await wait_for(probe, deadline=deadline, what=what)


async def read_topic(
    transport: Transport,
    topic: str,
    count: int,
    *,
    group: str,
    stop_when: Callable[[list[Envelope]], bool] | None = None,
) -> list[Envelope]:
    """Read count events (or until stop_when holds) from a topic as a fresh consumer group."""
    source = transport.source(topics=[topic], group=group)
    await source.start()
    registry, got = build_registry(), list[Envelope]()
    try:
        async with asyncio.timeout(DEADLINE):
            while len(got) < count and not (stop_when and stop_when(got)):
                batch = await source.fetch(max_messages=min(count - len(got), 500), max_wait=0.5)
                got += [decode(m.message, registry) for m in batch]
    finally:
        await source.stop()
    return got


def poll(
    probe: Callable[[], T | None], *, deadline: float = DEADLINE, what: str = "condition"
) -> T:
    """Call probe until it returns something truthy; fail after the deadline (sync tests)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if result := probe():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements SQLAlchemy sends on ``engine`` inside the block, in order (those
    sent on a driver connection directly, such as PostgreSQL appends, are not seen)."""
    sent: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    with _each_statement(engine, seen):
        yield sent


@contextmanager
def sent_with_parameters(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The statements ``statements_sent`` sees, each with the parameters it was sent with."""
    sent: list[tuple[str, Any]] = []

    def seen(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        sent.append((statement, parameters))

    with _each_statement(engine, seen):
        yield sent


@contextmanager
def _each_statement(engine: AsyncEngine, seen: Callable[..., None]) -> Iterator[None]:
    """Call seen before each statement SQLAlchemy sends on the engine inside the block."""
    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


def calls_to(monkeypatch: pytest.MonkeyPatch, target: object, *names: str) -> list[str]:
    """The names of ``target``'s methods among ``names`` as they are called, in order (each
    still does what it did)."""
    calls: list[str] = []
    for name in names:
        method = getattr(target, name)

        def counted(*args: Any, _name: str = name, _method: Any = method, **kw: Any) -> Any:
            calls.append(_name)
            return _method(*args, **kw)

        monkeypatch.setattr(target, name, counted)
    return calls


async def scans_of(conn: AsyncConnection, table: str) -> tuple[int, int]:
    """How many sequential and index scans of a table PostgreSQL has counted for the
    transaction in progress on ``conn`` (its own work only, nothing flushed yet)."""
    query = text(
        "SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables"
        " WHERE relname = :table"
    )
    seq, idx = (await conn.execute(query, {"table": table})).one()
    return int(seq), int(idx)
