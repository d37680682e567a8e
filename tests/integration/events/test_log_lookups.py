"""The store's lookups by stream probe the log's index even where PostgreSQL knows nothing of
the table yet: a log that grows faster than autovacuum analyses it (a fresh database under
load, for its first minute) must not be read whole by every group of appends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from conveyor.events.catalogue import build_registry
from conveyor.events.store import EventStore, create_engine, event_store_metadata
from tests.contract.test_event_store import change
from tests.support import scans_of

pytestmark = pytest.mark.postgres

EVENTS = 40_000  # two per stream


async def test_appends_and_existence_checks_never_read_the_whole_log(
    postgres_server: Any, unique_name: str
) -> None:
    engine = create_engine(str(postgres_server.create_database(unique_name)))
    store = EventStore(build_registry())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(event_store_metadata().create_all)
            await conn.execute(text("ALTER TABLE events SET (autovacuum_enabled = false)"))
            await conn.execute(
                text(
                    "INSERT INTO events (event_id, stream_id, version, event_type,"
                    " schema_version, data, source, time, correlation_id)"
                    " SELECT 'e-' || n, 'rep-' || n / 2, n % 2 + 1, 'RepAvailabilityChanged',"
                    " 1, '{}', '/test', '2026-11-24T10:00:00+00:00', 'c'"
                    " FROM generate_series(0, :last) n"
                ),
                {"last": EVENTS - 1},
            )
        async with engine.connect() as conn:
            assert (
                await conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'events'"))
            ).scalar() < 1
            await conn.rollback()
            streams = [f"rep-{n}" for n in range(0, EVENTS // 2, 400)]  # 50 that exist
            fresh = [f"rep-new-{n}" for n in range(10)]
            async with conn.begin():
                before = await scans_of(conn, "events")
                found = await store.existing(conn, [*streams, *fresh])
                recorded = await store.append_many(
                    conn,
                    [(s, [change(s, 2)]) for s in streams] + [(s, [change(s, 0)]) for s in fresh],
                    new=set(fresh),
                )
                after = await scans_of(conn, "events")
    finally:
        await engine.dispose()
    assert found == set(streams)
    assert [r.version for appended in recorded for r in appended] == [3] * 50 + [1] * 10
    assert after[0] == before[0]  # sequential scans
    assert after[1] > before[1]  # index scans
