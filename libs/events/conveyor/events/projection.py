"""Read models: projections updated in the same transaction as the append, and rebuilt
from the log on demand (dropping and replaying must give the same rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Protocol, runtime_checkable

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.model import Envelope, EventView, Recorded
from conveyor.events.replay import log_reader, no_collections, read_page
from conveyor.events.row_buffer import RowBuffer
from conveyor.events.rows import Rows, SqlRows
from conveyor.events.store.store import EventStore, recorded_from_row

_BUFFERED = "conveyor.projection_rows"


class Projection(Protocol):
    """A read model fed by events; apply must depend only on the events it is given."""

    @property
    def tables(self) -> Sequence[Table]:
        """The tables this read model owns (emptied before a rebuild)."""

    @property
    def handles(self) -> frozenset[str]:
        """The event types it is fed."""

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Update the read model's tables for one event."""


@runtime_checkable
class FoldsRows(Protocol):
    """A projection written against ``Rows``: a rebuild folds it in memory."""

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Update the read model's rows for one event."""


class RowProjection:
    """Base of projections written once against ``Rows``: live, ``apply`` runs them as SQL
    in the append's transaction; a rebuild calls ``fold`` with rows held in memory."""

    tables: Sequence[Table]
    handles: frozenset[str]
    reads: Sequence[type[EventView]] = ()
    """Views of the types handled that are all a projection reads of them: a rebuild hands
    ``fold`` an event of such a type as its view (where every projection fed the type reads
    it through the same view), the live append as the whole model, so ``fold`` must take
    either (``isinstance(data, Model | ModelView)``)."""

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Update the read model's rows for one event."""
        raise NotImplementedError

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Update the read model's tables for one event, one statement per operation."""
        await self.fold(recorded, SqlRows(conn))


class HeldAppends:
    """Appends kept to be written together by ``EventWriter.append_many`` (one statement on
    PostgreSQL): (stream, events) in the order they were made, and the streams that must be
    new."""

    def __init__(self) -> None:
        self.streams: list[tuple[str, Sequence[Envelope]]] = []
        self.new: set[str] = set()

    def add(self, stream_id: str, envelopes: Sequence[Envelope], *, new: bool) -> None:
        """Keep an append (``new``: the stream must not exist yet)."""
        self.streams.append((stream_id, envelopes))
        if new:
            self.new.add(stream_id)

    def take(self) -> tuple[list[tuple[str, Sequence[Envelope]]], set[str]]:
        """The appends kept and the new streams among them, no longer kept."""
        taken = self.streams, self.new
        self.streams, self.new = [], set()
        return taken


class EventWriter:
    """Appends to the store and updates the projections in the caller's transaction."""

    def __init__(self, store: EventStore, projections: Sequence[Projection]) -> None:
        self.store = store
        self.projections = list(projections)
        self._routes = _routes(self.projections)

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        *,
        expected_version: int,
    ) -> list[Recorded]:
        """Append to a stream and project what was appended (into the rows ``buffered``
        holds, when the caller is inside it on this connection)."""
        recorded = await self.store.append(
            conn, stream_id, envelopes, expected_version=expected_version
        )
        await self._project(conn, recorded)
        return recorded

    async def append_many(
        self,
        conn: AsyncConnection,
        streams: Sequence[tuple[str, Sequence[Envelope]]],
        *,
        new: Collection[str] = (),
        log_locked: bool = False,
    ) -> list[list[Recorded]]:
        """Append to several streams at their ends in one go (``EventStore.append_many``,
        ``new`` and ``log_locked`` as it takes them) and project what was appended, in order."""
        recorded = await self.store.append_many(conn, streams, new=new, log_locked=log_locked)
        await self._project(conn, [item for appended in recorded for item in appended])
        return recorded

    async def _project(self, conn: AsyncConnection, recorded: Sequence[Recorded]) -> None:
        buffer: RowBuffer | None = conn.info.get(_BUFFERED)
        for item in recorded:
            if buffer is None:
                await project(item, self.projections, conn)
            elif routes := self._routes.get(item.envelope.type):
                await _replay(item, routes, buffer, conn)

    @asynccontextmanager
    async def buffered(self, conn: AsyncConnection) -> AsyncIterator[RowBuffer]:
        """Inside this, what is appended on ``conn`` is projected into rows held in memory
        (the buffer given, where a caller that knows which rows its appends touch can
        preload them), written out in bulk when it ends (on an error, not at all: the
        caller's transaction is rolled back). For callers that read the projections' tables
        only through the appends themselves, such as a consumer's batch of routing decisions:
        a direct SELECT would not see the held rows."""
        buffer = conn.info[_BUFFERED] = RowBuffer(conn, empty=False)
        try:
            yield buffer
            await buffer.flush()
        finally:
            del conn.info[_BUFFERED]


async def project(
    recorded: Recorded, projections: Sequence[Projection], conn: AsyncConnection
) -> None:
    """Apply one recorded event to every projection that handles its type."""
    for projection in projections:
        if recorded.envelope.type in projection.handles:
            await projection.apply(recorded, conn)


async def rebuild(
    engine: AsyncEngine,
    store: EventStore,
    projections: Sequence[Projection],
    *,
    batch_size: int = 10_000,
    max_rows: int = 100_000,
) -> int:
    """Empty the projections' tables and replay the whole log into them; return the count.

    One transaction: readers see the old rows until the new ones are complete. Projections
    that fold into ``Rows`` are folded in memory (at most about ``max_rows`` rows held) and
    written in bulk; any other is applied event by event, after the buffer is written out.
    On PostgreSQL the log is read on a connection of its own and each write-out past the
    bound runs while the folding goes on (``RowBuffer``'s ``write_behind``). An event whose
    projections read it through a view (``RowProjection.reads``) is decoded into the view.
    """
    routes = _routes(projections)
    views = _views(projections)
    with no_collections():
        async with engine.begin() as conn, log_reader(engine, conn) as reader:
            await _empty(conn, projections)
            buffer = RowBuffer(conn, max_rows=max_rows, write_behind=reader is not conn)
            async with buffer.written():
                replayed = await _replay_log(
                    reader, store, routes, views, buffer, batch_size=batch_size
                )
    return replayed


async def _replay_log(
    reader: AsyncConnection,
    store: EventStore,
    routes: dict[str, list[tuple[Projection, bool]]],
    views: dict[str, type[EventView]],
    buffer: RowBuffer,
    *,
    batch_size: int,
) -> int:
    """Feed every event of the log to its projections; return how many were read. Each row
    is decoded right before it is folded, and its event freed right after (decoding a page
    first and freeing it whole after its folding cost a tenth more of the CPU), so it is
    not kept with the registry's recent events either (each is read once here, and freeing
    one 2,048 decodes later, its memory long out of the cache, took ~9 % of a rebuild)."""
    replayed, after, registry = 0, 0, store.registry
    while rows := await read_page(reader, store, after=after, limit=batch_size):
        for row in rows:
            if (fed := routes.get(row[4])) is not None:
                view = views.get(row[4])
                recorded = recorded_from_row(registry, *row, view=view, remember=False)
                await _replay(recorded, fed, buffer, buffer.conn)
        after, replayed = rows[-1][0], replayed + len(rows)
    return replayed


def _views(projections: Sequence[Projection]) -> dict[str, type[EventView]]:
    """Event type -> the view a rebuild decodes it into: where every projection fed the
    type reads it through the same view (``RowProjection.reads``)."""
    chosen: dict[str, type[EventView] | None] = {}
    for projection in projections:
        reads = {view.event_type: view for view in getattr(projection, "reads", ())}
        if unfed := reads.keys() - projection.handles:
            raise ValueError(f"{type(projection).__name__} reads types it is not fed: {unfed}")
        for event_type in projection.handles:
            view = reads.get(event_type)
            chosen[event_type] = view if chosen.get(event_type, view) is view else None
    return {event_type: view for event_type, view in chosen.items() if view is not None}


async def _empty(conn: AsyncConnection, projections: Sequence[Projection]) -> None:
    for projection in projections:
        for table in reversed(projection.tables):
            await conn.execute(delete(table))


def _routes(projections: Sequence[Projection]) -> dict[str, list[tuple[Projection, bool]]]:
    """Event type -> the projections that handle it, in the order given, each with whether
    it folds into ``Rows`` (asked once: a runtime protocol check is slow)."""
    routes: dict[str, list[tuple[Projection, bool]]] = {}
    for projection in projections:
        folds = isinstance(projection, FoldsRows)
        for event_type in projection.handles:
            routes.setdefault(event_type, []).append((projection, folds))
    return routes


async def _replay(
    recorded: Recorded,
    projections: list[tuple[Projection, bool]],
    buffer: RowBuffer,
    conn: AsyncConnection,
) -> None:
    for projection, folds in projections:
        if folds:
            await projection.fold(recorded, buffer)  # type: ignore[attr-defined]
        else:
            await buffer.hand_over()
            await projection.apply(recorded, conn)
    await buffer.spill()
