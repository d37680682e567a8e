"""Rows folded in memory and written in bulk: the ``Rows`` a rebuild uses, and a consumer
applying a batch of events in one transaction.

A rebuild's buffer starts over tables that are empty, so every row there is one it wrote: a
key it never wrote is absent without asking the database. Over tables that have rows
(``empty=False``), a row is read (one SELECT) the first time it is needed. It holds at most about
``max_rows`` rows; past that (``spill``) it writes them out in the caller's transaction
and forgets them, remembering the keys it wrote in a fixed-size filter (``WrittenKeys``),
and reads a row back (one SELECT) when it is needed again (not to insert one: a duplicate key
fails the write-out). A caller that knows which rows
it will touch reads them all at once first (``preload``: one SELECT per thousand keys)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from itertools import product
from types import MappingProxyType
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.bulk import by_keys, delete_keys, insert_rows, key_chunks
from conveyor.events.held_rows import HeldRows, Row
from conveyor.events.rows import ANY_OF, Where, matches, matching
from conveyor.events.written_keys import WrittenKeys


class DuplicateRow(ValueError):
    """A row was inserted with the primary key of a row that exists."""


class RowBuffer:
    """``Rows`` in memory, written out in bulk; ``empty`` says the tables were empty when it
    began (a rebuild)."""

    def __init__(
        self, conn: AsyncConnection, *, max_rows: int = 100_000, empty: bool = True
    ) -> None:
        self.conn, self.max_rows = conn, max_rows
        self._tables: dict[Table, HeldRows] = {}
        self._complete = empty  # every row in the tables was written by this buffer
        self._written = WrittenKeys()

    async def get(self, table: Table, key: Where) -> Mapping[str, Any] | None:
        """The row whose primary key is ``key``, or None."""
        held = self._held(table)
        row = await self._row(held, held.key_of(key))
        return None if row is None else MappingProxyType(row)

    async def preload(self, table: Table, keys: Iterable[Where]) -> None:
        """Read the rows with these primary keys (each given whole, as the columns' Python
        values) that the buffer does not hold yet, a thousand keys per SELECT; a key with no
        row is then known to be absent, so no later call asks the database about it."""
        held = self._held(table)
        wanted = [
            key
            for key in dict.fromkeys(held.key_of(where) for where in keys)
            if key not in held.rows and (not self._complete or held.may_hold(key))
        ]
        statement = by_keys(table, select)
        for chunk in key_chunks(wanted):
            result = await self.conn.execute(statement, {"keys": chunk})
            found = {held.key_of(row): row for row in map(dict, result.mappings())}
            for key in chunk:
                held.load(key, found.get(key))

    async def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        """Add a row, with its table's defaults for the columns left out. Over tables with
        rows, a key the buffer does not hold is not read: if a row has it, the write-out's
        INSERT fails (as ``SqlRows.insert`` would at once)."""
        held = self._held(table)
        full = held.complete(row)
        key = held.key_of(full)
        if not self._complete and key not in held.rows:
            held.write(key, full)
            return
        if await self._row(held, key) is not None:
            raise DuplicateRow(f"{table.name}: a row with key {key!r} exists")
        held.write(key, full)

    async def put(self, table: Table, row: Mapping[str, Any]) -> None:
        """Set the given columns of the row with ``row``'s key, adding the row if absent."""
        held = self._held(table)
        key = held.key_of(row)
        current = await self._row(held, key)
        if current is None:
            held.write(key, held.complete(row))
        else:
            held.write(key, {**current, **row})

    async def update(
        self,
        table: Table,
        where: Where,
        values: Mapping[str, Any] | None = None,
        *,
        add: Mapping[str, int] | None = None,
    ) -> None:
        """Set ``values`` and add ``add`` to numbers (None stays None) in matching rows."""
        held = self._held(table)
        for key, row in await self._matching(held, where):
            changed = {**row, **(values or {})}
            for name, n in (add or {}).items():
                changed[name] = None if row[name] is None else row[name] + n
            held.write(key, changed)

    async def delete(self, table: Table, where: Where) -> None:
        """Remove every matching row."""
        held = self._held(table)
        key = held.only_key(where)
        if key is not None and not self._complete and key not in held.rows:
            held.remove_unread(key)  # no need to read a row to delete it
            return
        for key, _ in await self._matching(held, where):
            held.write(key, None)

    async def spill(self) -> None:
        """Write everything out if more than ``max_rows`` rows are held."""
        if sum(len(held.rows) for held in self._tables.values()) > self.max_rows:
            await self.flush()

    async def flush(self) -> None:
        """Write every changed row to the database and forget what is held."""
        for held in self._tables.values():
            gone, new = held.changes()
            await delete_keys(self.conn, held.table, gone)
            await insert_rows(self.conn, held.table, new)
            # over tables that had rows, a key not held is read anyway: no need to remember
            written = [held.key_of(row) for row in new] if self._complete else []
            held.forget(written=written)

    async def hand_over(self) -> None:
        """Flush before someone else writes to the tables directly: from now on, a key the
        buffer does not hold is looked up in the database."""
        await self.flush()
        self._complete = False

    def _held(self, table: Table) -> HeldRows:
        held = self._tables.get(table)
        if held is None:
            held = self._tables[table] = HeldRows(table, self._written)
        return held

    async def _row(self, held: HeldRows, key: Hashable) -> Row | None:
        if key in held.rows:
            return held.rows[key]
        if self._complete and not held.may_hold(key):
            return None
        found = (await self.conn.execute(select(held.table).where(held.key_where(key)))).first()
        row = None if found is None else dict(found._mapping)
        held.load(key, row)
        return row

    async def _matching(self, held: HeldRows, where: Where) -> list[tuple[Hashable, Row]]:
        if (key := held.only_key(where)) is not None:  # the common case: one row by its key
            row = await self._row(held, key)
            return [] if row is None else [(key, row)]
        if held.key_names <= where.keys():
            keys: Iterable[Hashable] = _keys(held, where)
        else:
            await self._load_matching(held, where)
            keys = held.candidates(where)
        found = []
        for key in keys:
            row = await self._row(held, key)
            if row is not None and matches(row, where):
                found.append((key, row))
        return found

    async def _load_matching(self, held: HeldRows, where: Where) -> None:
        """Bring into memory the rows in the database that match (when there may be any)."""
        if self._complete and not held.wrote_any:
            return
        for found in await self.conn.execute(select(held.table).where(matching(held.table, where))):
            row = dict(found._mapping)
            key = held.key_of(row)
            if key not in held.rows:
                held.load(key, row)


def _keys(held: HeldRows, where: Where) -> Iterable[Hashable]:
    """Every primary key ``where`` names (several when a key column is given any of)."""
    names = held.key_names_ordered
    if len(names) == 1:
        value = where[names[0]]
        return dict.fromkeys(value) if isinstance(value, ANY_OF) else (value,)
    choices = [where[name] if isinstance(where[name], ANY_OF) else (where[name],) for name in names]
    return dict.fromkeys(product(*choices))
