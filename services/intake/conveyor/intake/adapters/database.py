"""Intake's database schema: Alembic migrations, and the folder a SQLite file lives in."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from conveyor.events import migrate as events_migrate

MIGRATIONS = Path(__file__).with_name("migrations")


def upgrade(database_url: str) -> None:
    """Bring intake's database up to the newest migration (blocking; runs its own loop)."""
    ensure_sqlite_folder(database_url)
    events_migrate.upgrade(database_url, str(MIGRATIONS))


def ensure_sqlite_folder(url: str) -> None:
    """Create the parent folder of a SQLite database file; other URLs are left alone."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
