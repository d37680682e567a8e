"""Named positions in the log, on both databases; on PostgreSQL a relay's position does not
wait for the disk."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.devkit.postgres import DatabaseServer
from conveyor.events.store import create_engine, event_store_metadata
from conveyor.events.store.positions import load_position, save_position


@pytest.mark.parametrize("flushed", [True, False], ids=["flushed", "unflushed"])
async def test_a_position_saved_is_read_back_and_moves_on(
    engine: AsyncEngine, flushed: bool
) -> None:
    async with engine.begin() as conn:
        assert await load_position(conn, "relay") == 0
        await save_position(conn, "relay", 41, flushed=flushed)
        await save_position(conn, "other", 7, flushed=flushed)
    async with engine.begin() as conn:
        await save_position(conn, "relay", 42, flushed=flushed)
    async with engine.connect() as conn:
        assert await load_position(conn, "relay") == 42
        assert await load_position(conn, "other") == 7


@pytest.fixture
async def postgres_engine(
    postgres_server: DatabaseServer, unique_name: str
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_server.create_database(unique_name))
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    yield engine
    await engine.dispose()


async def _synchronous_commit(conn: AsyncConnection) -> str:
    return str((await conn.execute(text("SHOW synchronous_commit"))).scalar_one())


@pytest.mark.postgres
@pytest.mark.parametrize(("flushed", "inside"), [(True, "on"), (False, "off")])
async def test_only_an_unflushed_save_lets_its_own_commit_skip_the_wait_for_the_disk(
    postgres_engine: AsyncEngine, flushed: bool, inside: str
) -> None:
    """The test server runs without synchronous commits: the session asks for them, as a
    production server has them."""
    async with postgres_engine.connect() as conn:
        await conn.execute(text("SET synchronous_commit TO on"))
        await conn.commit()
        async with conn.begin():
            await save_position(conn, "relay", 5, flushed=flushed)
            assert await _synchronous_commit(conn) == inside
        assert await _synchronous_commit(conn) == "on"  # the next transaction waits again
        await conn.execute(text("RESET synchronous_commit"))
        await conn.commit()
