"""Rows folded in memory and written in bulk: the ``Rows`` a rebuild uses, and a consumer
applying a batch of events in one transaction.

A rebuild's buffer starts over tables that are empty, so every row there is one it wrote: a
key it never wrote is absent without asking the database. Over tables that have rows
(``empty=False``), a row is read (one SELECT) the first time it is needed. It holds at most about
``max_rows`` rows; past that (``spill``) it writes them out in the caller's transaction
and forgets them, remembering the keys it wrote in a fixed-size filter (``WrittenKeys``),
and reads a row back (one SELECT) when it is needed again (not to insert one: a duplicate key
fails the write-out). A caller that knows which rows
it will touch reads them all at once first (``preload``: one SELECT per thousand keys).

``write_behind``: a write-out past the bound runs in the background while the caller goes
on folding (PostgreSQL does the writing on another core meanwhile). A row that write-out
holds is read from it (it holds only the changed rows: at most twice ``max_rows`` are held
then); a read of any other row takes the connection between two parts of the write-out
(``ROWS_PER_WRITE`` rows each); a read by another column and the next write-out wait for
all of it. Only for a caller that uses the connection through the buffer alone until
``flush`` (a rebuild reading the log on another connection)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable, Iterable, Mapping
from contextlib import asynccontextmanager
from itertools import product
from types import MappingProxyType
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.bulk import by_keys, delete_keys, insert_rows, key_chunks
from conveyor.events.held_rows import HeldRows, Row
from conveyor.events.rows import ANY_OF, Where, matches, matching
from conveyor.events.written_keys import WrittenKeys

ROWS_PER_WRITE = 10_000  # rows of one table written in one go (a COPY) by a write-out
YIELD_EVERY = 50  # calls of spill between two turns of a write-out running behind


class DuplicateRow(ValueError):
    """A row was inserted with the primary key of a row that exists."""


class RowBuffer:
    """``Rows`` in memory, written out in bulk; ``empty`` says the tables were empty when it
    began (a rebuild)."""

    def __init__(
        self,
        conn: AsyncConnection,
        *,
        max_rows: int = 100_000,
        empty: bool = True,
        write_behind: bool = False,
    ) -> None:
        self.conn, self.max_rows, self.write_behind = conn, max_rows, write_behind
        self._tables: dict[Table, HeldRows] = {}
        self._complete = empty  # every row in the tables was written by this buffer
        self._written = WrittenKeys()
        self._writing: asyncio.Task[None] | None = None  # a write-out running behind
        self._turn = asyncio.Lock()  # the connection, taken in turn by reads and write parts
        self._calls = 0  # calls of spill while a write-out runs behind

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
        wanted = []
        for key in dict.fromkeys(held.key_of(where) for where in keys):
            if key in held.rows:
                continue
            if key in held.flying:
                held.load(key, held.flying[key])
            elif not self._complete or held.may_hold(key):
                wanted.append(key)
        statement = by_keys(table, select)
        for chunk in key_chunks(wanted):
            async with self._turn:  # none of these keys is in a write-out running behind
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
            held.write(key, held.merged(current, row))

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
        """Write everything out if more than ``max_rows`` rows are held (``write_behind``:
        in the background, once the previous write-out is done). Called after every event:
        while a write-out runs behind, every ``YIELD_EVERY`` calls it lets it send more (a
        fold never waits, so the event loop would otherwise run it only at the next read)."""
        if self._writing is not None and not self._writing.done():
            self._calls += 1
            if self._calls % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        if sum(len(held.rows) for held in self._tables.values()) <= self.max_rows:
            return
        if not self.write_behind:
            await self.flush()
            return
        await self.settle()
        self._writing = asyncio.create_task(self._write(self._take()))

    async def flush(self) -> None:
        """Write every changed row to the database and forget what is held."""
        await self.settle()
        await self._write(self._take())

    async def settle(self) -> None:
        """Wait for a write-out running behind (its error, if it failed, is raised here)."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            await writing

    @asynccontextmanager
    async def written(self) -> AsyncIterator[RowBuffer]:
        """Inside this, fold; on leaving, everything is written out (``flush``). On an error
        nothing more is written, but a write-out running behind is waited for (its outcome
        dropped), so the caller's rollback finds the connection free."""
        try:
            yield self
        except BaseException:
            if self._writing is not None:
                writing, self._writing = self._writing, None
                await asyncio.gather(writing, return_exceptions=True)
            raise
        await self.flush()

    def _take(self) -> list[tuple[Table, list[Hashable], list[Row]]]:
        """Every table's changes, the held rows forgotten (the keys written remembered)."""
        taken = []
        for held in self._tables.values():
            gone, new = held.changes()
            flying = {key: held.rows[key] for key in held.changed} if self.write_behind else {}
            # over tables that had rows, a key not held is read anyway: no need to remember
            written = [held.key_of(row) for row in new] if self._complete else []
            held.forget(written=written)
            held.flying = flying
            taken.append((held.table, gone, new))
        return taken

    async def _write(self, taken: list[tuple[Table, list[Hashable], list[Row]]]) -> None:
        """Write the changes out in parts, each taking the connection in turn: a read of a
        row the write-out does not hold waits for one part, not for all of them."""
        for table, gone, new in taken:
            for keys in key_chunks(gone):
                async with self._turn:
                    await delete_keys(self.conn, table, keys)
            for start in range(0, len(new), ROWS_PER_WRITE):
                async with self._turn:
                    await insert_rows(self.conn, table, new[start : start + ROWS_PER_WRITE])

    async def hand_over(self) -> None:
        """Flush before someone else writes to the tables directly: from now on, a key the
        buffer does not hold is looked up in the database (not in what it last wrote out:
        the other writer may change those rows)."""
        await self.flush()
        self._complete = False
        for held in self._tables.values():
            held.flying = {}

    def _held(self, table: Table) -> HeldRows:
        held = self._tables.get(table)
        if held is None:
            held = self._tables[table] = HeldRows(table, self._written)
        return held

    async def _row(self, held: HeldRows, key: Hashable) -> Row | None:
        if key in held.rows:
            return held.rows[key]
        if key in held.flying:  # as the last write-out leaves it, whether it is done or not
            row = held.flying[key]
            held.load(key, row)
            return row
        if self._complete and not held.may_hold(key):
            return None
        async with self._turn:  # not in a write-out running behind (not in ``flying``)
            query = select(held.table).where(held.key_where(key))
            found = (await self.conn.execute(query)).first()
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
        await self.settle()
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
