"""Alembic wiring shared by the services: each service keeps its own migrations folder and
calls these from its env.py and its CLI."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from conveyor.events.store.engine import create_engine

MIGRATION_LOCK_KEY = 7_305_021_912  # pg_advisory_xact_lock key: one migrator at a time


def upgrade(database_url: str, script_location: str, revision: str = "head") -> None:
    """Bring the database at database_url up to revision."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


def run_env(context: Any, target_metadata: MetaData) -> None:
    """The body of a service's alembic env.py (online mode, async engine)."""
    url = context.config.attributes.get("database_url")
    if url is None:
        raise RuntimeError("database_url missing: run migrations through the service CLI")

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # replicas starting together wait here
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
