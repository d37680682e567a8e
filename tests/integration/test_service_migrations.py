"""Each service's migrations build exactly the schema its code declares, on SQLite and on
PostgreSQL (the router's webhook tables renamed to the shared library's shape by its
0004 and its KPI facts of 0005; followup's webhook tables of 0010 included)."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from conveyor.events.migrate import upgrade
from conveyor.events.store import create_engine
from conveyor.followup import adapters as followup
from conveyor.followup.adapters.tables import metadata as followup_metadata
from conveyor.router import adapters as router
from conveyor.router.adapters.tables import metadata as router_metadata

SERVICES: dict[str, tuple[Path, MetaData]] = {
    "router": (Path(router.MIGRATIONS), router_metadata),
    "followup": (Path(str(followup.MIGRATIONS)), followup_metadata),
}


async def assert_matches(url: str, migrations: Path, metadata: MetaData) -> None:
    await asyncio.to_thread(upgrade, url, str(migrations))
    engine = create_engine(url)

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrations_build_the_declared_schema_on_sqlite(
    service: str, tmp_path: Path
) -> None:
    await assert_matches(f"sqlite+aiosqlite:///{tmp_path / service}.db", *SERVICES[service])


@pytest.mark.postgres
@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrations_build_the_declared_schema_on_postgresql(
    service: str, postgres_server: Any, unique_name: str
) -> None:
    await assert_matches(postgres_server.create_database(unique_name), *SERVICES[service])
