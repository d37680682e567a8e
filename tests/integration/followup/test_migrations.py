"""Followup's migrations build exactly the schema the code declares, on SQLite and on
PostgreSQL (the webhook tables of 0010 included)."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from conveyor.events.migrate import upgrade
from conveyor.events.store import create_engine
from conveyor.followup.adapters import MIGRATIONS
from conveyor.followup.adapters.tables import metadata


def differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def assert_matches(url: str) -> None:
    await asyncio.to_thread(upgrade, url, str(MIGRATIONS))
    engine = create_engine(url)
    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    await engine.dispose()


async def test_the_migrations_build_the_declared_schema_on_sqlite(tmp_path: Path) -> None:
    await assert_matches(f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}")


@pytest.mark.postgres
async def test_the_migrations_build_the_declared_schema_on_postgresql(
    postgres_server: Any, unique_name: str
) -> None:
    await assert_matches(postgres_server.create_database(unique_name))
