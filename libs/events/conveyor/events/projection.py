"""Read models: projections updated in the same transaction as the append, and rebuilt
from the log on demand (dropping and replaying must give the same rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.model import Envelope, Recorded
from conveyor.events.store.store import EventStore


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


class EventWriter:
    """Appends to the store and updates the projections in the caller's transaction."""

    def __init__(self, store: EventStore, projections: Sequence[Projection]) -> None:
        self.store = store
        self.projections = list(projections)

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        *,
        expected_version: int,
    ) -> list[Recorded]:
        """Append to a stream and project what was appended."""
        recorded = await self.store.append(
            conn, stream_id, envelopes, expected_version=expected_version
        )
        for item in recorded:
            await project(item, self.projections, conn)
        return recorded


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
    batch_size: int = 1000,
) -> int:
    """Empty the projections' tables and replay the whole log into them; return the count."""
    replayed = 0
    async with engine.begin() as conn:
        for projection in projections:
            for table in reversed(projection.tables):
                await conn.execute(delete(table))
        after = 0
        while batch := await store.read_all(conn, after=after, limit=batch_size):
            for recorded in batch:
                await project(recorded, projections, conn)
            after = batch[-1].position
            replayed += len(batch)
    return replayed
