"""One suite for the event store, run against SQLite and PostgreSQL."""

import asyncio
import dataclasses
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.events.replay import read_chunk
from conveyor.events.store import ANY_VERSION, ConcurrencyError, EventStore, create_engine, lock_log
from conveyor.events.store.engine import LOG_LOCK_KEY as KEY
from tests.support import statements_sent


def change(rep: str, n: int) -> Envelope:
    event = RepAvailabilityChanged(rep_id=rep, available=n % 2 == 0, reason=f"change {n}")
    return new_envelope(event, subject=rep, source="/test")


async def append(
    engine: AsyncEngine, store: EventStore, rep: str, count: int, *, expected: int
) -> None:
    async with engine.begin() as conn:
        envelopes = [change(rep, expected + n) for n in range(count)]
        await store.append(conn, rep, envelopes, expected_version=expected)


async def test_appended_events_are_read_back_in_stream_order(
    engine: AsyncEngine, store: EventStore
) -> None:
    sent = [change("rep-1", n) for n in range(3)]
    async with engine.begin() as conn:
        recorded = await store.append(conn, "rep-1", sent, expected_version=0)
    async with engine.connect() as conn:
        read = await store.read_stream(conn, "rep-1")
    assert [r.version for r in recorded] == [1, 2, 3]
    assert [r.envelope for r in read] == sent
    assert [r.version for r in read] == [1, 2, 3]


async def test_a_stale_expected_version_writes_nothing(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 2, expected=0)
    with pytest.raises(ConcurrencyError, match="expected version 1, found version 2"):
        await append(engine, store, "rep-1", 1, expected=1)
    async with engine.connect() as conn:
        assert await store.stream_version(conn, "rep-1") == 2


async def test_two_writers_at_the_same_expected_version_exactly_one_wins(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 1, expected=0)
    results = await asyncio.gather(
        *(append(engine, store, "rep-1", 1, expected=1) for _ in range(2)),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, ConcurrencyError) for r in results) == 1
    async with engine.connect() as conn:
        assert await store.stream_version(conn, "rep-1") == 2


async def test_any_version_appends_at_the_end(engine: AsyncEngine, store: EventStore) -> None:
    await append(engine, store, "rep-1", 2, expected=0)
    async with engine.begin() as conn:
        recorded = await store.append(
            conn, "rep-1", [change("rep-1", 9)], expected_version=ANY_VERSION
        )
    assert recorded[0].version == 3


async def test_a_rolled_back_append_leaves_no_trace(engine: AsyncEngine, store: EventStore) -> None:
    async def append_then_fail() -> None:
        async with engine.begin() as conn:
            await store.append(conn, "rep-1", [change("rep-1", 0)], expected_version=0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await append_then_fail()
    async with engine.connect() as conn:
        assert await store.read_stream(conn, "rep-1") == []
        assert await store.head(conn) == 0


async def test_the_whole_log_is_read_after_a_position_in_commit_order(
    engine: AsyncEngine, store: EventStore
) -> None:
    for rep in ("a", "b", "c"):
        await append(engine, store, rep, 2, expected=0)
    async with engine.connect() as conn:
        everything = await store.read_all(conn)
        tail = await store.read_all(conn, after=everything[1].position, limit=3)
    assert [r.stream_id for r in everything] == ["a", "a", "b", "b", "c", "c"]
    positions = [r.position for r in everything]
    assert positions == sorted(positions) and len(set(positions)) == 6
    assert [(r.stream_id, r.version) for r in tail] == [("b", 1), ("b", 2), ("c", 1)]


async def test_reading_some_types_pages_through_the_log_decoding_only_those(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "a", 2, expected=0)
    async with engine.begin() as conn:  # a type this reader has no model for, in the middle
        await conn.execute(
            text(
                "INSERT INTO events (event_id, stream_id, version, event_type, schema_version,"
                " data, source, time, correlation_id) VALUES ('x1', 'x', 1, 'elsewhere.thing',"
                " 1, 'not even JSON', '/elsewhere', '2026-01-01T00:00:00Z', 'x1')"
            )
        )
    await append(engine, store, "b", 1, expected=0)
    wanted = {RepAvailabilityChanged.event_type}
    async with engine.connect() as conn:
        everything = [r.position for r in await store.read_all(conn, limit=2)]
        first = await read_chunk(conn, store, types=wanted, limit=3)
        assert first is not None
        second = await read_chunk(conn, store, types=wanted, after=first.last, limit=3)
        assert second is not None
        end = await read_chunk(conn, store, types=wanted, after=second.last)
    assert [r.stream_id for r in first.events] == ["a", "a"] and first.read == 3
    assert [r.position for r in first.events] == everything
    assert [r.stream_id for r in second.events] == ["b"] and second.read == 1
    assert first.last < second.last
    assert end is None


async def test_concurrent_writers_to_many_streams_get_gapless_commit_order(
    engine: AsyncEngine, store: EventStore
) -> None:
    await asyncio.gather(*(append(engine, store, f"rep-{n}", 3, expected=0) for n in range(8)))
    async with engine.connect() as conn:
        everything = await store.read_all(conn, limit=100)
    assert len(everything) == 24
    for n in range(8):
        versions = [r.version for r in everything if r.stream_id == f"rep-{n}"]
        assert versions == [1, 2, 3]


async def test_an_envelope_must_belong_to_the_stream(
    engine: AsyncEngine, store: EventStore
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(ValueError, match="subject"):
            await store.append(conn, "rep-1", [change("rep-2", 0)], expected_version=0)


async def test_a_new_stream_started_in_one_insert_reads_back_like_an_append(
    engine: AsyncEngine, store: EventStore
) -> None:
    sent = [change("rep-1", n) for n in range(2)]
    async with engine.begin() as conn:
        recorded = await store.append_new(conn, "rep-1", sent)
    async with engine.connect() as conn:
        read = await store.read_stream(conn, "rep-1")
        everything = await store.read_all(conn)
    assert [(r.version, r.position) for r in recorded] == [(1, 1), (2, 2)]
    assert [r.envelope for r in read] == sent
    assert [r.position for r in everything] == [1, 2]


async def test_starting_a_stream_that_exists_raises_and_writes_nothing(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 1, expected=0)
    with pytest.raises(ConcurrencyError, match="expected version 0"):
        async with engine.begin() as conn:
            await store.append_new(conn, "rep-1", [change("rep-1", 5)])
    async with engine.connect() as conn:
        assert await store.stream_version(conn, "rep-1") == 1


async def test_concurrent_new_streams_under_the_callers_log_lock_get_gapless_commit_order(
    engine: AsyncEngine, store: EventStore
) -> None:
    async def start(rep: str) -> None:
        async with engine.begin() as conn:
            await lock_log(conn)
            await store.append_new(conn, rep, [change(rep, 0), change(rep, 1)], log_locked=True)

    await asyncio.gather(*(start(f"rep-{n}") for n in range(8)))
    async with engine.connect() as conn:
        everything = await store.read_all(conn, limit=100)
    assert [r.position for r in everything] == list(range(1, 17))
    for n in range(8):
        assert [r.version for r in everything if r.stream_id == f"rep-{n}"] == [1, 2]


async def test_several_events_at_any_version_get_consecutive_versions_in_their_order(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 2, expected=0)
    sent = [change("rep-1", n) for n in range(3)]
    async with engine.begin() as conn:
        recorded = await store.append(conn, "rep-1", sent, expected_version=ANY_VERSION)
    assert [(r.envelope, r.version) for r in recorded] == list(zip(sent, [3, 4, 5], strict=True))
    assert [r.position for r in recorded] == sorted(r.position for r in recorded)
    async with engine.connect() as conn:
        assert [r.envelope for r in await store.read_stream(conn, "rep-1", after_version=2)] == sent


async def test_an_event_id_appended_twice_raises_and_writes_nothing(
    engine: AsyncEngine, store: EventStore
) -> None:
    first = change("rep-1", 0)
    async with engine.begin() as conn:
        await store.append(conn, "rep-1", [first], expected_version=0)
    again = dataclasses.replace(first, subject="rep-2")
    with pytest.raises(ConcurrencyError):
        async with engine.begin() as conn:
            await store.append(conn, "rep-2", [again], expected_version=0)
    async with engine.connect() as conn:
        assert await store.stream_version(conn, "rep-2") == 0


@pytest.mark.postgres
async def test_the_log_lock_is_held_by_each_transaction_that_takes_it_on_one_connection(
    postgres_server: Any, unique_name: str
) -> None:
    """Taken twice in a transaction it is sent once; a later transaction on the same pooled
    connection takes it again (PostgreSQL: on SQLite, BEGIN IMMEDIATE serialises writers)."""
    engine = create_engine(postgres_server.create_database(unique_name), pool_size=1)

    async def held_elsewhere() -> bool:
        async with engine.connect() as other:
            free = await other.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": KEY})
            await other.rollback()
            return not free

    async with engine.connect() as conn:
        for _ in range(2):  # two transactions, one after the other, on the same connection
            async with conn.begin():
                await lock_log(conn)
                await lock_log(conn)
                assert await held_elsewhere()
            assert not await held_elsewhere()
    await engine.dispose()


async def test_appends_to_several_streams_at_once_take_positions_in_the_order_given(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 2, expected=0)
    given = [
        ("rep-2", [change("rep-2", 0)]),
        ("rep-1", [change("rep-1", 2), change("rep-1", 3)]),
        ("rep-2", [change("rep-2", 1)]),
        ("rep-3", []),
    ]
    async with engine.begin() as conn:
        head = await store.head(conn)
        recorded = await store.append_many(conn, given)
    assert [[(r.stream_id, r.version) for r in appended] for appended in recorded] == [
        [("rep-2", 1)],
        [("rep-1", 3), ("rep-1", 4)],
        [("rep-2", 2)],
        [],
    ]
    async with engine.connect() as conn:
        log = await store.read_all(conn, after=head)
    assert [r.envelope for r in log] == [env for _, envelopes in given for env in envelopes]
    assert [r.position for r in log] == [r.position for rs in recorded for r in rs]
    assert [r.version for r in log] == [1, 3, 4, 2]


async def test_streams_appended_together_as_new_start_at_version_one(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 1, expected=0)
    given = [
        ("rep-2", [change("rep-2", 0), change("rep-2", 1)]),
        ("rep-1", [change("rep-1", 1)]),
        ("rep-2", [change("rep-2", 2)]),  # a new stream may come again in the same call
    ]
    async with engine.begin() as conn:
        recorded = await store.append_many(conn, given, new={"rep-2"})
    assert [[(r.stream_id, r.version) for r in appended] for appended in recorded] == [
        [("rep-2", 1), ("rep-2", 2)],
        [("rep-1", 2)],
        [("rep-2", 3)],
    ]


async def test_a_stream_appended_as_new_that_exists_is_refused_and_nothing_is_written(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 1, expected=0)
    given = [("rep-2", [change("rep-2", 0)]), ("rep-1", [change("rep-1", 1)])]
    async with engine.connect() as conn:
        head = await store.head(conn)
        await conn.rollback()
        await conn.begin()
        with pytest.raises(ConcurrencyError, match="stream 'rep-1': expected version 0"):
            await store.append_many(conn, given, new={"rep-1", "rep-2"})
        await conn.rollback()
        assert await store.head(conn) == head


async def test_an_event_id_taken_in_appends_to_several_streams_names_its_stream(
    engine: AsyncEngine, store: EventStore
) -> None:
    first = change("rep-1", 0)
    await store_append(engine, store, "rep-1", [first])
    again = dataclasses.replace(first, subject="rep-2")
    given = [("rep-3", [change("rep-3", 0)]), ("rep-2", [again])]
    with pytest.raises(ConcurrencyError, match="stream 'rep-2'"):
        async with engine.begin() as conn:
            await store.append_many(conn, given)
    async with engine.connect() as conn:
        assert await store.existing(conn, ["rep-2", "rep-3"]) == set()


async def store_append(
    engine: AsyncEngine, store: EventStore, stream: str, envelopes: list[Envelope]
) -> None:
    async with engine.begin() as conn:
        await store.append(conn, stream, envelopes, expected_version=ANY_VERSION)


async def test_appends_to_several_streams_check_each_envelope_belongs_to_its_stream(
    engine: AsyncEngine, store: EventStore
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(ValueError, match="must have it as subject"):
            await store.append_many(
                conn, [("rep-1", [change("rep-1", 0)]), ("rep-2", [change("rep-1", 1)])]
            )
        assert await store.head(conn) == 0


async def test_which_streams_exist_is_one_statement_whose_text_does_not_depend_on_the_count(
    engine: AsyncEngine, store: EventStore
) -> None:
    await append(engine, store, "rep-1", 2, expected=0)
    await append(engine, store, "rep-3", 1, expected=0)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")  # the transaction's own statements go first
        with statements_sent(engine) as statements:
            one = await store.existing(conn, ["rep-2"])
            three = await store.existing(conn, ["rep-1", "rep-2", "rep-3"])
        assert await store.existing(conn, []) == set()
    assert (one, three) == (set(), {"rep-1", "rep-3"})
    assert len(statements) == 2
    if engine.dialect.name == "postgresql":
        assert statements[0] == statements[1]
