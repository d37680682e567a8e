"""Databases on a PostgreSQL server, as tests see one: URLs, and fresh empty databases.

``DatabaseServer`` is what tests need; ``ExternalPostgres`` is one already running somewhere
(``conveyor.devkit.postgres.PostgresServer`` is the other, a throwaway local cluster).
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from conveyor.devkit.local import run_sync

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class DatabaseServer(Protocol):
    """What tests need from a PostgreSQL server: URLs and fresh databases."""

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        """Return a SQLAlchemy URL of ``database`` on this server."""
        ...

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        ...


def with_database(url: str, database: str, driver: str = "asyncpg") -> str:
    """Return ``url`` pointing at another database, with the ``postgresql+<driver>`` scheme."""
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    new = make_url(url).set(drivername=scheme, database=database)
    return new.render_as_string(hide_password=False)


async def _execute(admin_url: str, statement: str) -> None:
    """Run one statement outside a transaction (autocommit) on the server behind ``admin_url``."""
    url = make_url(admin_url).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name`` via ``admin_url`` and return the SQLAlchemy URL of the new one."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"database name must match {_NAME.pattern}: {name!r}")
    run_sync(lambda: _execute(admin_url, f'CREATE DATABASE "{name}"'))
    return with_database(admin_url, name)


class ExternalPostgres:
    """An already running server reached through an admin URL (e.g. from the environment)."""

    def __init__(self, admin_url: str) -> None:
        """Remember the admin URL; nothing is started."""
        self.admin_url = admin_url

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        """Return a SQLAlchemy URL of ``database`` on this server."""
        return with_database(self.admin_url, database, driver)

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        return create_database(self.admin_url, name)
