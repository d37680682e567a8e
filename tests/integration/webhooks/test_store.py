"""The webhook queue and secret store on SQLite and PostgreSQL: idempotent enqueueing, one
message per endpoint at a time in order, due times, dead letters and replay, secrets
retired after an overlap."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.store import create_engine
from conveyor.webhooks.store import (
    DEAD,
    Message,
    SecretStore,
    WebhookQueue,
    message_table,
    secret_table,
)

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


async def test_each_endpoint_gets_its_oldest_message_first_and_enqueueing_is_idempotent(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await QUEUE.enqueue(conn, [message(1, "ana"), message(2, "ben"), message(3, "ana")], 10.0)
        await QUEUE.enqueue(conn, [message(1, "ana")], 99.0)
        heads = await QUEUE.due_heads(conn, 10.0, 10)
        assert [h["message_id"] for h in heads] == ["m1-0", "m2-0"]
        await QUEUE.record(conn, "m1-0", attempts=1, due=20.0)
        assert [h["message_id"] for h in await QUEUE.due_heads(conn, 15.0, 10)] == ["m2-0"]
        assert await QUEUE.next_due(conn) == 10.0
        await QUEUE.record(conn, "m1-0", status=DEAD)
        assert [h["message_id"] for h in await QUEUE.due_heads(conn, 15.0, 10)] == ["m2-0", "m3-0"]
        assert [d["message_id"] for d in await QUEUE.dead_letters(conn, "ana")] == ["m1-0"]
        replayed = await QUEUE.replay(conn, "m1-0", 30.0)
        assert replayed is not None and replayed["attempts"] == 0
        assert await QUEUE.replay(conn, "m1-0", 30.0) is None
        assert await QUEUE.counts(conn) == {"pending": 3}


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
