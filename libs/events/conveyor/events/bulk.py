"""Writing many read-model rows at once, in the caller's transaction: COPY on PostgreSQL
(asyncpg; a single row is one INSERT, fewer round trips), one executemany INSERT elsewhere;
deleting many rows by primary key."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.store import dialect_of

KEYS_PER_STATEMENT = 1000


async def insert_rows(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
) -> None:
    """Insert rows that each give every column of the table, or every one of ``columns``
    (the others take their defaults: a key numbered by the database, say), in order."""
    if not rows:
        return
    if len(rows) > 1 and dialect_of(conn) == "postgresql" and conn.dialect.driver == "asyncpg":
        await _copy(conn, table, rows, columns or [column.name for column in table.columns])
    else:
        await conn.execute(insert(table), [dict(row) for row in rows])


async def delete_keys(conn: AsyncConnection, table: Table, keys: Sequence[Hashable]) -> None:
    """Delete the rows with these primary keys (a value, or a tuple for a composite key)."""
    statement = by_keys(table, delete)
    for chunk in key_chunks(keys):
        await conn.execute(statement, {"keys": chunk})


def by_keys(table: Table, make: Callable[[Table], Any]) -> Any:
    """``make(table)`` (``select``, ``delete``) for the rows whose primary keys are in the
    ``keys`` parameter (a list, values as ``delete_keys`` takes them), built once per table
    and kind: an IN of the values built per call was a large construct, and cyclic garbage
    for the collector after it. (An IN, not ``= ANY`` of an array: PostgreSQL's generic plan
    for an array it cannot see read the whole table while it had no statistics of it.)"""
    cached = _BY_KEYS.get((table, make))
    if cached is None:
        where = primary_key(table).in_(bindparam("keys", expanding=True))
        cached = _BY_KEYS[(table, make)] = make(table).where(where)
    return cached


_BY_KEYS: dict[tuple[Table, Callable[[Table], Any]], Any] = {}


def primary_key(table: Table) -> Any:
    """The table's primary key as one SQL expression (a tuple for a composite key), for
    ``.in_`` with key values as ``delete_keys`` takes them."""
    columns = list(table.primary_key.columns)
    return columns[0] if len(columns) == 1 else tuple_(*columns)


def key_chunks(keys: Sequence[Hashable]) -> Iterator[list[Hashable]]:
    """The keys, at most ``KEYS_PER_STATEMENT`` per statement."""
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        yield list(keys[start : start + KEYS_PER_STATEMENT])


async def _copy(
    conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> None:
    if not conn.in_transaction():
        raise RuntimeError("bulk writes belong in a transaction the caller has begun")
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    if not raw.is_in_transaction():  # the driver begins the transaction at its first statement
        await conn.exec_driver_sql("SELECT 1")
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in names]
    records: list[tuple[Any, ...]]
    if len(names) == 1:
        records = [(row[names[0]],) for row in rows]
    else:
        records = list(map(itemgetter(*names), rows))
    if any(processors):
        records = [
            tuple(p(value) if p else value for value, p in zip(record, processors, strict=True))
            for record in records
        ]
    await raw.copy_records_to_table(
        table.name, records=records, columns=list(names), schema_name=table.schema
    )
