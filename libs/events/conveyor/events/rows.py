"""Rows of read models through a few keyed operations, so one projection serves both paths:
live, each operation is a SQL statement in the append's transaction (``SqlRows``); in a
rebuild, the rows are folded in memory and written in bulk (``RowBuffer``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Table, and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

Where = Mapping[str, Any]
"""Column name -> value a row must have (None: NULL); a tuple, list, set or frozenset: any
of them (never None, which SQL's IN would not match)."""

ANY_OF = (tuple, list, set, frozenset)


class Rows(Protocol):
    """Read-model rows by primary key. Contract: every implementation, given the same calls,
    leaves the same rows and answers ``get`` alike (the contract suite runs them all)."""

    async def get(self, table: Table, key: Where) -> Mapping[str, Any] | None:
        """The row whose primary key is ``key`` (every key column given), or None."""

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        """Add a row (columns left out take their defaults); an existing key is an error,
        and so is a column the table lacks (ValueError, as for ``put``)."""

    async def put(self, table: Table, row: Mapping[str, Any]) -> None:
        """Set the given columns of the row with ``row``'s key, adding the row if absent."""

    async def update(
        self,
        table: Table,
        where: Where,
        values: Mapping[str, Any] | None = None,
        *,
        add: Mapping[str, int] | None = None,
    ) -> None:
        """Set ``values`` and add ``add`` to numbers (NULL stays NULL) in every matching row."""

    async def delete(self, table: Table, where: Where) -> None:
        """Remove every matching row."""


class SqlRows:
    """Rows as SQL statements on the caller's connection, one per operation."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, table: Table, key: Where) -> Mapping[str, Any] | None:
        """The row whose primary key is ``key``, or None."""
        result = await self.conn.execute(select(table).where(matching(table, key)))
        row = result.mappings().first()
        return None if row is None else dict(row)

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        """INSERT the row (a column the table lacks is an error, as in memory: SQLAlchemy
        would leave it out)."""
        await self.conn.execute(insert(table), _known(table, row))

    async def put(self, table: Table, row: Mapping[str, Any]) -> None:
        """UPDATE the row's other columns, or INSERT it when no row has its key."""
        row = _known(table, row)
        key = {c.name: row[c.name] for c in table.primary_key.columns}
        rest = {name: value for name, value in row.items() if name not in key}
        if rest:
            query = update(table).where(matching(table, key)).values(rest)
            if (await self.conn.execute(query)).rowcount:
                return
        elif await self.get(table, key) is not None:
            return
        await self.conn.execute(insert(table), row)  # its columns checked above

    async def update(
        self,
        table: Table,
        where: Where,
        values: Mapping[str, Any] | None = None,
        *,
        add: Mapping[str, int] | None = None,
    ) -> None:
        """One UPDATE of the matching rows."""
        changes: dict[str, Any] = dict(values or {})
        changes |= {name: table.c[name] + n for name, n in (add or {}).items()}
        await self.conn.execute(update(table).where(matching(table, where)).values(changes))

    async def delete(self, table: Table, where: Where) -> None:
        """One DELETE of the matching rows."""
        await self.conn.execute(delete(table).where(matching(table, where)))


def _known(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """The row, if the table has every column it names."""
    if not row.keys() <= _column_names(table):
        raise no_such_columns(table, row)
    return dict(row)


@cache
def _column_names(table: Table) -> frozenset[str]:
    return frozenset(column.name for column in table.columns)


def no_such_columns(table: Table, names: Iterable[str]) -> ValueError:
    """The error for a row naming columns the table lacks."""
    unknown = sorted(set(names) - _column_names(table))
    return ValueError(f"{table.name} has no column {unknown}")


def matching(table: Table, where: Where) -> ColumnElement[bool]:
    """The SQL condition of ``where`` (a column given None matches NULL)."""
    return and_(
        *(
            table.c[name].in_(value) if isinstance(value, ANY_OF) else table.c[name] == value
            for name, value in where.items()
        )
    )


def matches(row: Mapping[str, Any], where: Where) -> bool:
    """Whether a row held in memory satisfies ``where``, as ``matching`` would in SQL."""
    for name, value in where.items():
        if isinstance(value, ANY_OF):
            if row[name] not in value:
                return False
        elif row[name] != value:
            return False
    return True
