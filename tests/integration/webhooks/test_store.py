"""The webhook queue and secret store on SQLite and PostgreSQL: idempotent enqueueing, one
message per endpoint at a time in order, due times, dead letters and replay, secrets
retired after an overlap."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.store import create_engine
from conveyor.webhooks.store import (
    DEAD,
    DELIVERED,
    PENDING,
    Message,
    SecretStore,
    WebhookQueue,
    message_table,
    secret_table,
)
from tests.support import sent_with_parameters, statements_sent

METADATA = MetaData()
QUEUE, SECRETS = WebhookQueue(message_table(METADATA)), SecretStore(secret_table(METADATA))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique_name: str
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database(unique_name)
    made = create_engine(url)
    async with made.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    yield made
    await made.dispose()


def message(n: int, endpoint: str, recipient: int = 0) -> Message:
    body: dict[str, Any] = {"n": n}
    return Message(
        f"m{n}-{recipient}", endpoint, f"s{n}", f"r{n}", "thing.done", body, n, recipient
    )


async def heads(conn: AsyncConnection, now: float) -> list[str]:
    """The first due message of each endpoint (runs one message long)."""
    runs = await QUEUE.due_runs(conn, now, 10, per_endpoint=1)
    assert all(len(run) == 1 for run in runs)
    return [run[0]["message_id"] for run in runs]


async def test_each_endpoint_gets_its_oldest_message_first_and_enqueueing_is_idempotent(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await QUEUE.enqueue(conn, [message(1, "ana"), message(2, "ben"), message(3, "ana")], 10.0)
        await QUEUE.enqueue(conn, [message(1, "ana")], 99.0)
        assert await heads(conn, 10.0) == ["m1-0", "m2-0"]
        await QUEUE.record(conn, "m1-0", attempts=1, due=20.0)
        assert await heads(conn, 15.0) == ["m2-0"]
        assert await QUEUE.next_due(conn) == 10.0
        await QUEUE.record(conn, "m1-0", status=DEAD)
        assert await heads(conn, 15.0) == ["m2-0", "m3-0"]
        assert [d["message_id"] for d in await QUEUE.dead_letters(conn, "ana")] == ["m1-0"]
        replayed = await QUEUE.replay(conn, "m1-0", 30.0)
        assert replayed is not None and replayed["attempts"] == 0
        assert await QUEUE.replay(conn, "m1-0", 30.0) is None
        assert await QUEUE.counts(conn) == {"pending": 3}


async def test_enqueueing_is_one_statement_whose_text_does_not_depend_on_the_count(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql("SELECT 1")  # the transaction's own statements go first
        with statements_sent(engine) as statements:
            await QUEUE.enqueue(conn, [message(1, "ana")], 10.0)
            await QUEUE.enqueue(conn, [message(n, "ben") for n in (2, 3, 4)], 10.0)
        assert len(statements) == 2 and statements[0] == statements[1]
        assert await QUEUE.counts(conn) == {"pending": 4}


@pytest.mark.postgres
async def test_on_postgresql_many_messages_are_queued_by_one_execution(
    unique_name: str, postgres_server: Any
) -> None:
    """Not an executemany (the database would run the statement once per row): each column
    goes as one array. Results are recorded by key, an executemany per set of columns."""
    made = create_engine(postgres_server.create_database(unique_name))
    executions: list[bool] = []

    def seen(*args: Any) -> None:
        executions.append(args[-1])  # executemany?

    try:
        async with made.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            event.listen(made.sync_engine, "before_cursor_execute", seen)
            await QUEUE.enqueue(conn, [message(n, f"rep-{n % 5}") for n in range(100)], 10.0)
            results = [(f"m{n}-0", {"attempts": 1, "due": 20.0}) for n in range(99)]
            await QUEUE.record_all(conn, [*results, ("m0-0", {"status": DEAD, "attempts": 2})])
            event.remove(made.sync_engine, "before_cursor_execute", seen)
            rows = [await QUEUE.message(conn, f"m{n}-0") for n in (0, 1, 98, 99)]
    finally:
        await made.dispose()
    assert executions == [False, False, True]  # enqueue; m0-0 alone; 98 by their set of columns
    assert [(row["status"], row["attempts"], row["due"]) for row in rows if row] == [
        (DEAD, 2, 20.0),
        (PENDING, 1, 20.0),
        (PENDING, 1, 20.0),
        (PENDING, 0, 10.0),
    ]


async def test_a_run_is_an_endpoints_due_messages_in_order_up_to_the_length_asked(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        ana = [message(n, "ana") for n in (1, 3, 4, 6)]
        await QUEUE.enqueue(conn, [*ana, message(2, "ben"), message(5, "cy")], 10.0)
        await QUEUE.record(conn, "m2-0", attempts=1, due=20.0)  # ben's head waits a retry
        await QUEUE.record(conn, "m4-0", due=12.0)  # ana's third is not due at 11
        await QUEUE.record(conn, "m5-0", due=9.0)  # cy's has waited longest

        def ids(runs: list[list[dict[str, Any]]]) -> list[list[str]]:
            return [[m["message_id"] for m in run] for run in runs]

        assert ids(await QUEUE.due_runs(conn, 11.0, 10, per_endpoint=5)) == [
            ["m5-0"],
            ["m1-0", "m3-0"],
        ]
        assert ids(await QUEUE.due_runs(conn, 13.0, 10, per_endpoint=3)) == [
            ["m5-0"],
            ["m1-0", "m3-0", "m4-0"],
        ]
        assert ids(await QUEUE.due_runs(conn, 13.0, 1, per_endpoint=3)) == [["m5-0"]]
        await QUEUE.record(conn, "m1-0", status=DEAD)
        assert ids(await QUEUE.due_runs(conn, 21.0, 10, per_endpoint=2)) == [
            ["m5-0"],
            ["m3-0", "m4-0"],
            ["m2-0"],
        ]


@pytest.mark.postgres
async def test_finding_runs_reads_each_endpoints_first_messages_not_the_whole_backlog(
    postgres_server: Any, unique_name: str
) -> None:
    made = create_engine(postgres_server.create_database(unique_name))
    try:
        async with made.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            backlog = [message(n, f"rep{n % 3}") for n in range(600)]  # 200 pending each
            await QUEUE.enqueue(conn, backlog, 10.0)
            await QUEUE.record(conn, "m599-0", status=DELIVERED)
            await conn.exec_driver_sql("ANALYZE webhook_messages")
            with sent_with_parameters(made) as sent:
                runs = await QUEUE.due_runs(conn, 11.0, 10, per_endpoint=4)
            assert [[m["message_id"] for m in run] for run in runs] == [
                [f"m{n}-0" for n in range(first, 12, 3)] for first in range(3)
            ]
            [(statement, parameters)] = sent
            plan = await conn.exec_driver_sql(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters
            )
        read = rows_read_from(plan.scalar_one()[0]["Plan"], "webhook_messages")
        assert 12 <= read <= 40, read  # 3 endpoints x 4 messages, and a step per endpoint
    finally:
        await made.dispose()


def rows_read_from(node: dict[str, Any], table: str) -> int:
    """Rows the scans of a table returned, over every loop, in an executed plan."""
    own = node["Actual Rows"] * node["Actual Loops"] if node.get("Relation Name") == table else 0
    return own + sum(rows_read_from(child, table) for child in node.get("Plans", []))


async def test_a_rotated_secret_signs_beside_the_new_one_until_it_expires(
    engine: AsyncEngine,
) -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    async with engine.begin() as conn:
        assert not await SECRETS.add(conn, "ana", "s1", "whsec_old", now=now, retire_at=now)
        later = now + timedelta(minutes=1)
        retire = later + timedelta(hours=24)
        assert await SECRETS.add(conn, "ana", "s2", "whsec_new", now=later, retire_at=retire)
        during = (later + timedelta(hours=1)).timestamp()
        assert await SECRETS.in_force(conn, "ana", during) == ["whsec_new", "whsec_old"]
        after = (retire + timedelta(seconds=1)).timestamp()
        assert await SECRETS.in_force(conn, "ana", after) == ["whsec_new"]
        assert await SECRETS.in_force(conn, "ben", after) == []
        await SECRETS.add(conn, "ben", "s3", "whsec_ben", now=later, retire_at=retire)
        assert await SECRETS.in_force_of(conn, ["ana", "ben", "cy"], during) == {
            "ana": ["whsec_new", "whsec_old"],
            "ben": ["whsec_ben"],
        }


async def test_results_recorded_together_equal_the_same_results_recorded_one_by_one(
    engine: AsyncEngine,
) -> None:
    results: list[tuple[str, dict[str, Any]]] = [
        ("m1-0", {"status": DELIVERED, "attempts": 1, "last_status": 200, "last_error": None}),
        ("m2-0", {"attempts": 1, "due": 40.0, "last_error": "HTTP 503", "last_status": 503}),
        ("m3-0", {"attempts": 1, "due": 50.0, "last_error": "timeout", "last_status": None}),
        ("m3-0", {"status": DEAD, "attempts": 2, "last_error": "gone"}),  # the later one wins
    ]
    messages = [message(1, "ana"), message(2, "ben"), message(3, "ana"), message(4, "ben")]
    async with engine.connect() as conn:
        undone = await conn.begin()
        await QUEUE.enqueue(conn, messages, 10.0)
        for message_id, values in results:
            await QUEUE.record(conn, message_id, **values)
        one_by_one = [await QUEUE.message(conn, m.message_id) for m in messages]
        await undone.rollback()
    async with engine.begin() as conn:
        await QUEUE.enqueue(conn, messages, 10.0)
        await QUEUE.record_all(conn, results)
        together = [await QUEUE.message(conn, m.message_id) for m in messages]
    assert together == one_by_one
    assert [row["status"] for row in together if row] == [DELIVERED, PENDING, DEAD, PENDING]
