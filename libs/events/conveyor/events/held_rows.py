"""One table's rows as a ``RowBuffer`` holds them: by primary key, with what changed since
the last write-out and, for the columns asked by, an index."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy import Column, ColumnElement, Table
from sqlalchemy.sql.elements import False_, True_

from conveyor.events.rows import ANY_OF, Where, matching, no_such_columns
from conveyor.events.written_keys import WrittenKeys

Row = dict[str, Any]


class HeldRows:
    """A table's held rows (None: known to be absent), the keys changed since the last
    write-out, the keys read from the database; ``written`` remembers the keys written out
    (shared by the tables of one buffer)."""

    def __init__(self, table: Table, written: WrittenKeys) -> None:
        self.table = table
        self.key_names_ordered = [column.name for column in table.primary_key.columns]
        self.key_names = frozenset(self.key_names_ordered)
        self.defaults = {column.name: default_of(column) for column in table.columns}
        self.rows: dict[Hashable, Row | None] = {}
        self.changed: dict[Hashable, None] = {}  # a dict keeps the order of first change
        self.in_database: set[Hashable] = set()
        # the rows (None: removed) of the last write-out running behind or done, by key
        self.flying: dict[Hashable, Row | None] = {}
        self.written = written
        self.wrote_any = False
        self.indexes: dict[str, dict[Any, set[Hashable]]] = {}

    def key_of(self, row: Mapping[str, Any]) -> Hashable:
        """The row's primary key: its value, or a tuple of values for a composite key."""
        if len(self.key_names_ordered) == 1:
            return row[self.key_names_ordered[0]]  # type: ignore[no-any-return]
        return tuple(row[name] for name in self.key_names_ordered)

    def only_key(self, where: Where) -> Hashable | None:
        """The key when ``where`` names just one value of a one-column key, else None."""
        names = self.key_names_ordered
        if len(where) == 1 and len(names) == 1 and names[0] in where:
            value = where[names[0]]
            return None if isinstance(value, ANY_OF) else value
        return None

    def key_where(self, key: Hashable) -> ColumnElement[bool]:
        """The SQL condition selecting the row with this key."""
        values = key if len(self.key_names_ordered) > 1 else (key,)
        return matching(self.table, dict(zip(self.key_names_ordered, values, strict=True)))  # type: ignore[call-overload]

    def complete(self, row: Mapping[str, Any]) -> Row:
        """The row with defaults for the columns left out (an unknown column is an error)."""
        return self.merged(self.defaults, row)

    def merged(self, row: Mapping[str, Any], changes: Mapping[str, Any]) -> Row:
        """A whole row with ``changes`` over it; a column the table lacks is an error (found
        by the size of the result, not by comparing keys: asked for every row of a rebuild)."""
        full = {**row, **changes}
        if len(full) != len(row):
            raise no_such_columns(self.table, changes)
        return full

    def may_hold(self, key: Hashable) -> bool:
        """Whether a row with this key may have been written out."""
        return self.wrote_any and self.written.may_hold(self.table.name, key)

    def write(self, key: Hashable, row: Row | None) -> None:
        """Hold a changed row (None: removed)."""
        self._hold(key, row)
        self.changed[key] = None

    def load(self, key: Hashable, row: Row | None) -> None:
        """Hold a row as read from the database (None: not there)."""
        self._hold(key, row)
        if row is not None:
            self.in_database.add(key)

    def remove_unread(self, key: Hashable) -> None:
        """Remove a row that may be in the database without reading it (the write-out
        deletes its key, which matches nothing if it was not there)."""
        self.write(key, None)
        self.in_database.add(key)

    def candidates(self, where: Where) -> list[Hashable]:
        """Keys of held rows that may match ``where``, found by an index on one column."""
        name = next(iter(where))
        index = self._index(name)
        value = where[name]
        values = value if isinstance(value, ANY_OF) else (value,)
        return list(dict.fromkeys(key for v in values for key in index.get(v, ())))

    def changes(self) -> tuple[list[Hashable], list[Row]]:
        """Keys to delete from the database, and rows to insert, for what changed."""
        gone = [key for key in self.changed if key in self.in_database]
        new = [row for key in self.changed if (row := self.rows[key]) is not None]
        return gone, new

    def forget(self, *, written: list[Hashable]) -> None:
        """Drop every held row once they have been written out."""
        for key in written:
            self.written.add(self.table.name, key)
        self.wrote_any = self.wrote_any or bool(written)
        self.rows, self.changed, self.in_database, self.indexes = {}, {}, set(), {}

    def _hold(self, key: Hashable, row: Row | None) -> None:
        if self.indexes:
            old = self.rows.get(key)
            for name, index in self.indexes.items():
                if old is not None:
                    index[old[name]].discard(key)
                if row is not None:
                    index.setdefault(row[name], set()).add(key)
        self.rows[key] = row

    def _index(self, name: str) -> dict[Any, set[Hashable]]:
        index = self.indexes.get(name)
        if index is None:
            index = self.indexes[name] = {}
            for key, row in self.rows.items():
                if row is not None:
                    index.setdefault(row[name], set()).add(key)
        return index


def default_of(column: Column[Any]) -> Any:
    """The value a column takes when an INSERT leaves it out (a scalar default only)."""
    if column.default is not None:
        if not column.default.is_scalar:
            raise ValueError(f"{column}: only a scalar default can be folded in memory")
        return column.default.arg  # type: ignore[attr-defined]
    if column.server_default is None:
        return None
    arg = column.server_default.arg  # type: ignore[attr-defined]
    if isinstance(arg, True_ | False_):
        return isinstance(arg, True_)
    if isinstance(arg, str) and column.type.python_type is not bool:
        return column.type.python_type(arg)
    raise ValueError(f"{column}: server default {arg!r} cannot be folded in memory")
