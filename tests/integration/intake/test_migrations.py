"""The migrations build exactly the schema the code declares."""

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from conveyor.events.store import create_engine
from conveyor.intake.adapters.database import upgrade
from conveyor.intake.adapters.tables import metadata


def differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_the_migrations_create_the_tables_the_code_declares(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'intake.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    await engine.dispose()
