"""Append to streams with optimistic concurrency; read a stream or the whole log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Row, Select, String, Table, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.codec import WireMessage, dump_data, encode_fields, format_time
from conveyor.events.model import DATACONTENTTYPE, SPECVERSION, Envelope, EventView, Recorded
from conveyor.events.registry import Registry
from conveyor.events.store import pg_append
from conveyor.events.store.engine import dialect_of, lock_log, note_appended
from conveyor.events.store.schema import events_table

ANY_VERSION = -1


class ConcurrencyError(RuntimeError):
    """Another writer appended to the stream first: reload it and try again."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        found = "a conflicting write" if actual is None else f"version {actual}"
        super().__init__(f"stream {stream_id!r}: expected version {expected}, found {found}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class EventStore:
    """The service's event log, used inside the caller's transaction.

    Contract: appends to one stream are strictly sequential (version n+1 follows n, a
    stale expected version raises ConcurrencyError and writes nothing); global positions
    grow in commit order, so a reader of ``read_all(after=p)`` never skips an event.
    """

    def __init__(self, registry: Registry, metadata: MetaData | None = None) -> None:
        self.registry = registry
        self.table = events_table(metadata if metadata is not None else MetaData())
        self._insert = insert(self.table).returning(
            self.table.c.position, sort_by_parameter_order=True
        )
        self._existing = _existing(self.table)
        t = self.table
        # the log after a position (parameters after, limit), every column in the table's
        # order: built once (a select built per read leaves cyclic garbage behind)
        self.page = (
            select(t)
            .where(t.c.position > bindparam("after"))
            .order_by(t.c.position)
            .limit(bindparam("limit"))
        )

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        *,
        expected_version: int,
    ) -> list[Recorded]:
        """Append envelopes to a stream that must be at expected_version (0: new)."""
        _check_subjects(stream_id, envelopes)
        await lock_log(conn, appending=True)
        if envelopes and pg_append.applies_to(conn):
            written = await self._append_pg(conn, stream_id, envelopes, expected_version)
            return _noted(conn, written)
        return _noted(conn, await self._append_sql(conn, stream_id, envelopes, expected_version))

    async def append_many(
        self,
        conn: AsyncConnection,
        streams: Sequence[tuple[str, Sequence[Envelope]]],
        *,
        new: Collection[str] = (),
        log_locked: bool = False,
    ) -> list[list[Recorded]]:
        """Append to several streams, each at its end (any version), the events taking
        positions in the order given (a stream may come more than once); on PostgreSQL in one
        statement. Returns what each entry appended.

        ``new``: streams that must not exist yet (fresh ids), as ``append_new`` starts them:
        one that does raises ConcurrencyError (on PostgreSQL from a spoilt transaction).
        ``log_locked``: the caller took ``lock_log`` in this transaction already."""
        for stream_id, envelopes in streams:
            _check_subjects(stream_id, envelopes)
        if not log_locked:
            await lock_log(conn, appending=True)
        if pg_append.applies_to(conn) and any(envelopes for _, envelopes in streams):
            recorded = await self._append_many_pg(conn, streams, new)
        else:
            recorded, begun = [], set()
            for stream_id, envelopes in streams:
                expected = 0 if stream_id in new and stream_id not in begun else ANY_VERSION
                recorded.append(await self._append_sql(conn, stream_id, envelopes, expected))
                begun.add(stream_id)
        _noted(conn, [item for appended in recorded for item in appended])
        return recorded

    async def _append_many_pg(
        self,
        conn: AsyncConnection,
        streams: Sequence[tuple[str, Sequence[Envelope]]],
        new: Collection[str],
    ) -> list[list[Recorded]]:
        rows = [_row(env, stream_id, 0) for stream_id, envelopes in streams for env in envelopes]
        try:
            written = await pg_append.append_many(conn, rows, new)
        except pg_append.UniqueViolation as exc:
            culprit = exc.stream_among(rows) or streams[0][0]
            raise ConcurrencyError(culprit, 0 if culprit in new else ANY_VERSION, None) from exc
        return [
            [Recorded(env, stream_id, written[env.id][1], written[env.id][0]) for env in envelopes]
            for stream_id, envelopes in streams
        ]

    async def _append_sql(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        expected_version: int,
    ) -> list[Recorded]:
        current = await self.stream_version(conn, stream_id)
        if expected_version != ANY_VERSION and current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        if not envelopes:
            return []
        rows = [_row(env, stream_id, current + n) for n, env in enumerate(envelopes, 1)]
        try:
            result = await conn.execute(
                insert(self.table).returning(self.table.c.position, sort_by_parameter_order=True),
                rows,
            )
        except IntegrityError as exc:  # the transaction is spoilt: the caller rolls back
            raise ConcurrencyError(stream_id, expected_version, None) from exc
        positions = [r.position for r in result]
        return [
            Recorded(env, stream_id, row["version"], pos)
            for env, row, pos in zip(envelopes, rows, positions, strict=True)
        ]

    async def append_new(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        *,
        log_locked: bool = False,
    ) -> list[Recorded]:
        """Start a stream the caller knows to be new (a fresh id): one INSERT, no version read.

        The contract of ``append(expected_version=0)``, with one difference: a stream that
        exists after all raises ConcurrencyError from a spoilt transaction (the caller rolls
        back). ``log_locked``: the caller took ``lock_log`` in this transaction already.
        """
        _check_subjects(stream_id, envelopes)
        if not log_locked:
            await lock_log(conn, appending=True)
        if envelopes and pg_append.applies_to(conn):
            return _noted(conn, await self._append_pg(conn, stream_id, envelopes, 0))
        rows = [_row(env, stream_id, n) for n, env in enumerate(envelopes, 1)]
        try:
            result = await conn.execute(self._insert, rows)
        except IntegrityError as exc:
            raise ConcurrencyError(stream_id, 0, None) from exc
        return _noted(
            conn,
            [
                Recorded(env, stream_id, row["version"], r.position)
                for env, row, r in zip(envelopes, rows, result, strict=True)
            ],
        )

    async def _append_pg(
        self, conn: AsyncConnection, stream_id: str, envelopes: Sequence[Envelope], expected: int
    ) -> list[Recorded]:
        """One statement on asyncpg: version check and insert (the log lock is held)."""
        rows = [_row(env, stream_id, 0) for env in envelopes]
        try:
            written = await pg_append.append(conn, stream_id, rows, expected)
        except pg_append.UniqueViolation as exc:
            raise ConcurrencyError(stream_id, expected, None) from exc
        if not written:
            raise ConcurrencyError(stream_id, expected, await self.stream_version(conn, stream_id))
        return [
            Recorded(env, stream_id, version, position)
            for env, (position, version) in zip(envelopes, written, strict=True)
        ]

    async def stream_version(self, conn: AsyncConnection, stream_id: str) -> int:
        """The stream's current version (0 when it has no events)."""
        query = select(func.max(self.table.c.version)).where(self.table.c.stream_id == stream_id)
        return int((await conn.execute(query)).scalar() or 0)

    async def existing(self, conn: AsyncConnection, stream_ids: Sequence[str]) -> set[str]:
        """Which of these streams have events (one statement)."""
        if not stream_ids:
            return set()
        if dialect_of(conn) == "postgresql":
            found = await conn.execute(self._existing, {"ids": list(stream_ids)})
        else:
            column = self.table.c.stream_id
            query = select(column).where(column.in_(list(stream_ids))).distinct()
            found = await conn.execute(query)
        return set(found.scalars())

    async def read_stream(
        self, conn: AsyncConnection, stream_id: str, *, after_version: int = 0
    ) -> list[Recorded]:
        """Every event of a stream after a version, in version order."""
        query = (
            select(self.table)
            .where(self.table.c.stream_id == stream_id)
            .where(self.table.c.version > after_version)
            .order_by(self.table.c.version)
        )
        return [recorded_from_row(self.registry, *row) for row in await conn.execute(query)]

    async def read_all(
        self, conn: AsyncConnection, *, after: int = 0, limit: int = 1000
    ) -> list[Recorded]:
        """Up to limit events after a global position, in position (= commit) order."""
        page = await conn.execute(self.page, {"after": after, "limit": limit})
        return [recorded_from_row(self.registry, *row) for row in page]

    async def head(self, conn: AsyncConnection) -> int:
        """The global position of the newest event (0 when the log is empty)."""
        return int((await conn.execute(select(func.max(self.table.c.position)))).scalar() or 0)

    async def read_wire(
        self, conn: AsyncConnection, *, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, str, WireMessage]]:
        """(position, event type, message) after a position, as stored: no decoding."""
        page = await conn.execute(self.page, {"after": after, "limit": limit})
        return [(row.position, row.event_type, _wire(row)) for row in page]


def _existing(t: Table) -> Select[Any]:
    """Which of the ``ids`` (an array: one statement text whatever their number) have events:
    one index probe per id (the newest version), so the plan never depends on how well
    the planner knows the table (a log growing faster than it is analysed, say; a match
    on ``stream_id = ANY(...)`` then read the whole log)."""
    ids = func.unnest(bindparam("ids", type_=ARRAY(String))).table_valued("id")
    ids = ids.render_derived(name="given")
    newest = select(func.max(t.c.version)).where(t.c.stream_id == ids.c.id).scalar_subquery()
    return select(ids.c.id).where(newest.is_not(None))


def recorded_from_row(
    registry: Registry,
    position: int,
    event_id: str,
    stream_id: str,
    version: int,
    event_type: str,
    schema_version: int,
    data_json: str,
    source: str,
    time: str,
    correlation_id: str,
    causation_id: str | None,
    *,
    view: type[EventView] | None = None,
    remember: bool = True,
) -> Recorded:
    """The event of a row of the events table (its columns in the table's order), built
    without the frozen dataclasses' field-by-field ``__init__`` (a third of the cost of
    reading an event): how every reader of the log turns rows into events. With ``view``,
    its data is that view of the event (``Registry.decode_view``). ``remember=False``: not
    kept with the registry's recent events (a reader that reads each event once)."""
    if view is None:
        by_id = event_id if remember else None
        data = registry.decode_json(event_type, schema_version, data_json, event_id=by_id)
    else:
        data = registry.decode_view(view, schema_version, data_json)
    envelope = object.__new__(Envelope)
    envelope.__dict__.update(
        id=event_id,
        source=source,
        type=event_type,
        subject=stream_id,
        time=datetime.fromisoformat(time),
        schema_version=data.schema_version,
        data=data,
        correlation_id=correlation_id,
        causation_id=causation_id,
        specversion=SPECVERSION,
        datacontenttype=DATACONTENTTYPE,
        data_json=data_json if schema_version == data.schema_version else None,
    )
    recorded = object.__new__(Recorded)
    recorded.__dict__.update(
        envelope=envelope, stream_id=stream_id, version=version, position=position
    )
    return recorded


def _check_subjects(stream_id: str, envelopes: Sequence[Envelope]) -> None:
    if any(env.subject != stream_id for env in envelopes):
        raise ValueError(f"every envelope appended to {stream_id!r} must have it as subject")


def _noted(conn: AsyncConnection, recorded: list[Recorded]) -> list[Recorded]:
    if recorded:
        note_appended(conn)
    return recorded


def _row(envelope: Envelope, stream_id: str, version: int) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "stream_id": stream_id,
        "version": version,
        "event_type": envelope.type,
        "schema_version": envelope.schema_version,
        "data": dump_data(envelope.data),
        "source": envelope.source,
        "time": format_time(envelope.time),
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
    }


def _wire(row: Row[Any]) -> WireMessage:
    return encode_fields(
        event_id=row.event_id,
        source=row.source,
        event_type=row.event_type,
        subject=row.stream_id,
        time=row.time,
        schema_version=row.schema_version,
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
        data_json=row.data,
    )
