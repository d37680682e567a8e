"""The event store on SQLAlchemy 2 (async): PostgreSQL via asyncpg, SQLite via aiosqlite."""

from conveyor.events.store.engine import (
    appends_made,
    create_engine,
    dialect_of,
    ensure_sqlite_folder,
    in_savepoint,
    lock_log,
    transaction_of,
)
from conveyor.events.store.positions import load_position, save_position
from conveyor.events.store.schema import event_store_metadata, events_table, tracking_tables
from conveyor.events.store.store import ANY_VERSION, ConcurrencyError, EventStore

__all__ = [
    "ANY_VERSION",
    "ConcurrencyError",
    "EventStore",
    "appends_made",
    "create_engine",
    "dialect_of",
    "ensure_sqlite_folder",
    "event_store_metadata",
    "events_table",
    "in_savepoint",
    "load_position",
    "lock_log",
    "save_position",
    "tracking_tables",
    "transaction_of",
]
