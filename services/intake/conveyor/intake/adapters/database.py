"""Intake's database schema: where its Alembic migrations live, and how to apply them."""

from __future__ import annotations

from pathlib import Path

from conveyor.events import migrate as events_migrate
from conveyor.events.store import ensure_sqlite_folder

MIGRATIONS = Path(__file__).with_name("migrations")


def upgrade(database_url: str) -> None:
    """Bring intake's database up to the newest migration (blocking; runs its own loop)."""
    ensure_sqlite_folder(database_url)
    events_migrate.upgrade(database_url, str(MIGRATIONS))
