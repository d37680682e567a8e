"""Engines for the store: SQLite gets serialised writes; PostgreSQL a log lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, event, func, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

LOG_LOCK_KEY = 7_305_021_911  # pg_advisory_xact_lock key that orders appends by commit
_LOG_LOCKED_BY = "conveyor.log_locked_by"  # connection info: the transaction holding it
_APPENDS = "conveyor.appends"  # connection info: appends ever made on the connection
NOTIFY_AS = "conveyor.notify_as"  # connection info: the mark its commits are announced with
COMMITS_CHANNEL = "conveyor_log"  # where they are announced
_ANNOUNCED_BY = "conveyor.announced_by"  # connection info: the transaction that notified
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_NOTIFY_SQL = f"pg_notify('{COMMITS_CHANNEL}', CAST(:mark AS text))"
_NOTIFY = text(f"SELECT {_NOTIFY_SQL}")
_LOCK_AND_NOTIFY = text(f"SELECT pg_advisory_xact_lock(:key), {_NOTIFY_SQL}")


def unflushed() -> ColumnElement[bool]:
    """A condition that holds, and makes the commit of the transaction it runs in return
    without waiting for PostgreSQL to flush it to disk (``synchronous_commit`` off for that
    transaction only): for a statement run alone (autocommit) whose write may be lost in a
    crash of the server, as a count or a position that only says how far a worker got. The
    commit still comes after every earlier one in the log; the flush comes within a few
    hundred milliseconds (``wal_writer_delay``), and meanwhile the commits that do wait for
    theirs (appends) no longer wait for these too."""
    return func.set_config("synchronous_commit", "off", True) == "off"


def dialect_of(engine_or_conn: AsyncEngine | AsyncConnection) -> str:
    """The SQL dialect name: 'postgresql' or 'sqlite'."""
    return engine_or_conn.dialect.name


def ensure_sqlite_folder(url: str) -> None:
    """Create the parent folder of a SQLite database file; other URLs are left alone."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, pool_size: int | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite files get WAL, a busy timeout and BEGIN IMMEDIATE.

    pool_size: connections kept open, plus half as many again under bursts. Connections
    beyond those kept are closed when returned, so a pool smaller than the usual
    concurrency reconnects on every request.
    """
    if pool_size is not None:
        kwargs |= {"pool_size": pool_size, "max_overflow": max(pool_size // 2, 1)}
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _serialise_sqlite_writes(engine)
        return engine
    return create_async_engine(url, **kwargs)


async def lock_log(conn: AsyncConnection, *, appending: bool = False) -> None:
    """Take the log lock until commit, so global positions follow commit order.

    On PostgreSQL, a sequence hands out positions at insert time, not at commit; without
    this lock a reader could pass a position whose transaction commits later. SQLite
    serialises writers already (BEGIN IMMEDIATE).

    Taken once per transaction: a transaction that holds it already (a consumer's batch
    making several decisions, say) sends nothing more. ``appending``: the transaction will
    append, so on a connection of an engine marked by ``commits.notify_as`` its commit is
    announced to the service's other processes (in the same statement as the lock, or in
    one of its own when the lock was taken to read).
    """
    if dialect_of(conn) != "postgresql":
        return
    transaction, info = transaction_of(conn), conn.info
    mark = info.get(NOTIFY_AS) if appending else None
    locked = transaction is not None and info.get(_LOG_LOCKED_BY) is transaction
    announced = mark is None or (transaction is not None and info.get(_ANNOUNCED_BY) is transaction)
    if locked and announced:
        return
    if locked:
        await conn.execute(_NOTIFY, {"mark": mark})
    elif mark is None:
        await conn.execute(_LOCK, {"key": LOG_LOCK_KEY})
    else:  # other processes of the service hear of the commit (conveyor.events.commits)
        await conn.execute(_LOCK_AND_NOTIFY, {"key": LOG_LOCK_KEY, "mark": mark})
    if transaction is not None:  # a later transaction is another object: it locks again
        info[_LOG_LOCKED_BY] = transaction
        if mark is not None:
            info[_ANNOUNCED_BY] = transaction


def note_appended(conn: AsyncConnection) -> None:
    """Count an append made on ``conn`` (the store calls this for every append)."""
    conn.info[_APPENDS] = conn.info.get(_APPENDS, 0) + 1


def appends_made(conn: AsyncConnection) -> int:
    """How many appends were ever made on ``conn``'s database connection, through any
    writer: a caller that knows which ones it made sees whether another was made."""
    return int(conn.info.get(_APPENDS, 0))


def transaction_of(conn: AsyncConnection) -> object | None:
    """The connection's transaction in progress (a new object for each), if any."""
    return conn.sync_connection.get_transaction() if conn.sync_connection else None


def in_savepoint(conn: AsyncConnection) -> bool:
    """Whether a savepoint (a nested transaction, which may roll back alone) is open."""
    return conn.sync_connection is not None and conn.sync_connection.in_nested_transaction()


def _serialise_sqlite_writes(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
