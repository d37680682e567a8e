"""Event store appends: ours (SQLAlchemy, asyncpg) next to raw asyncpg inserts into the same
table shape and next to the `eventsourcing` library, all on the same PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url

from bench.report import Measurement
from bench.sampling import Profile, sampled_pid
from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.events.codec import dump_data
from conveyor.events.store import EventStore, create_engine, event_store_metadata
from conveyor.events.store.schema import events_table

BATCH = 100
NOTES = "median of 3 rounds (1 with --quick), each variant in turn on a fresh database"
COLUMNS = tuple(c.name for c in events_table(MetaData()).c if c.name != "position")


def envelope(stream: str, n: int) -> Envelope:
    """One small event, as a service would append it."""
    change = RepAvailabilityChanged(rep_id=stream, available=n % 2 == 0, reason=f"change {n}")
    return new_envelope(change, subject=stream, source="/bench")


async def ours_single(url: str, count: int, writers: int) -> float:
    """Single-event transactions from concurrent writers, each on its own streams."""
    engine, store = await _prepared(url)

    async def writer(w: int) -> None:
        for n in range(count // writers):
            stream = f"w{w}-s{n // 10}"
            async with engine.begin() as conn:
                await store.append(conn, stream, [envelope(stream, n)], expected_version=n % 10)

    elapsed = await _timed(lambda: asyncio.gather(*(writer(w) for w in range(writers))))
    await engine.dispose()
    return count / elapsed


async def ours_batched(url: str, count: int) -> float:
    """BATCH events per transaction, one stream per batch."""
    engine, store = await _prepared(url)

    async def write() -> None:
        for b in range(count // BATCH):
            stream = f"b{b}"
            async with engine.begin() as conn:
                await store.append(
                    conn, stream, [envelope(stream, n) for n in range(BATCH)], expected_version=0
                )

    elapsed = await _timed(write)
    await engine.dispose()
    return count / elapsed


async def raw_asyncpg(url: str, count: int, batch: int, writers: int = 1) -> float:
    """Plain INSERTs of the same rows into the same table shape, batch rows per transaction,
    from concurrent writers on connections of their own (each on its own streams): with no
    log lock their commits may share a WAL flush."""
    engine, _ = await _prepared(url)
    await engine.dispose()
    dsn = str(make_url(url).set(drivername="postgresql"))
    conns = [await asyncpg.connect(dsn) for _ in range(writers)]
    sql = (
        f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))})"
    )

    async def writer(w: int) -> None:
        conn = conns[w]
        for b in range(count // batch // writers):
            stream = f"r{w}-{b}"
            rows = [_raw_row(envelope(stream, n), stream, n + 1) for n in range(batch)]
            async with conn.transaction():
                await conn.executemany(sql, rows)

    elapsed = await _timed(lambda: asyncio.gather(*(writer(w) for w in range(writers))))
    for conn in conns:
        await conn.close()
    return count / elapsed


def eventsourcing_appends(url: str, count: int, batch: int) -> float:
    """The eventsourcing library's PostgreSQL recorder, batch events per insert_events call."""
    parsed = make_url(url)
    datastore = PostgresDatastore(
        dbname=parsed.database or "postgres",
        host=parsed.host or "",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or "",
        pool_size=1,
    )
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    started = time.perf_counter()
    for _ in range(count // batch):
        stream = uuid.uuid4()
        recorder.insert_events(
            [
                StoredEvent(
                    stream, n + 1, "bench:Changed", dump_data(envelope("x", n).data).encode()
                )
                for n in range(batch)
            ]
        )
    elapsed = time.perf_counter() - started
    datastore.close()
    return count / elapsed


async def measure(
    new_database: Callable[[str], str], workdir: Path, *, quick: bool, profiles: list[Profile]
) -> list[Measurement]:
    """Every variant on a fresh database of its own, in rounds (the median of each is
    reported): each round starts with the next variant, so none always meets the server
    first (a fresh server's first writes also make its WAL files). Then one more round of
    our single appends from 8 writers, sampled with py-spy (they run in this process)."""
    singles, batched, rounds = (200, 1_000, 1) if quick else (5_000, 50_000, 3)
    variants: dict[str, Callable[[str], Awaitable[float]]] = {
        "ours_1": lambda url: ours_single(url, singles, 1),
        "ours_8": lambda url: ours_single(url, singles, 8),
        "ours_b": lambda url: ours_batched(url, batched),
        "raw_1": lambda url: raw_asyncpg(url, singles, 1),
        "raw_8": lambda url: raw_asyncpg(url, singles, 1, writers=8),
        "raw_b": lambda url: raw_asyncpg(url, batched, BATCH),
        "lib_1": lambda url: asyncio.to_thread(eventsourcing_appends, url, singles, 1),
        "lib_b": lambda url: asyncio.to_thread(eventsourcing_appends, url, batched, BATCH),
    }
    found: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(rounds):
        for name in names[r:] + names[:r]:
            found[name].append(await variants[name](new_database(f"es_{name}_{r}")))
    m = {name: statistics.median(values) for name, values in found.items()}
    sampled_appends = max(singles, 1_000)  # a second or so at least, quick or not
    seconds = 2 * sampled_appends / m["ours_8"] + 5  # py-spy is stopped when the round ends
    during = f"{sampled_appends:,} single appends from 8 writers (an extra round, not measured)"
    with sampled_pid(os.getpid(), "event store", seconds, workdir, during=during) as sampled:
        await ours_single(new_database("es_ours_8_sampled"), sampled_appends, 8)
    profiles.extend(sampled)
    return [
        _m("single appends/s, 1 writer", m["ours_1"], "raw asyncpg insert", m["raw_1"], 3_000),
        _m(
            "single appends/s, 1 writer (vs eventsourcing)",
            m["ours_1"],
            "eventsourcing 9.5",
            m["lib_1"],
        ),
        _m(
            "single appends/s, 8 writers",
            m["ours_8"],
            "raw asyncpg insert, 8 writers",
            m["raw_8"],
            3_000,
        ),
        _m(
            f"batched appends/s ({BATCH} per transaction)",
            m["ours_b"],
            "raw asyncpg executemany",
            m["raw_b"],
            20_000,
        ),
        _m(
            f"batched appends/s ({BATCH} per transaction, vs eventsourcing)",
            m["ours_b"],
            "eventsourcing 9.5",
            m["lib_b"],
        ),
    ]


def _m(
    name: str, value: float, base: str, base_value: float, at_least: float | None = None
) -> Measurement:
    """A figure next to its baseline; at_least: the target (None: be ahead of the baseline)."""
    target = f"≥ {at_least:,.0f}" if at_least is not None else f"ahead of {base}"
    met = value >= at_least if at_least is not None else value > base_value
    return Measurement(
        "event store", name, value, "events/s", base, base_value, target, notes=NOTES, met=met
    )


async def _prepared(url: str) -> tuple[Any, EventStore]:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    return engine, EventStore(build_registry())


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


def _raw_row(env: Envelope, stream: str, version: int) -> tuple[Any, ...]:
    return (
        env.id,
        stream,
        version,
        env.type,
        env.schema_version,
        dump_data(env.data),
        env.source,
        env.time.isoformat(),
        env.correlation_id,
        env.causation_id,
    )
