"""The ``sources`` read model: who may post, with which key hash, at what rate."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.catalogue.intake import SourceKeyRotated, SourceRegistered, SourceRevoked
from conveyor.events.codec import format_time
from conveyor.intake.adapters.tables import sources


class SourcesProjection:
    """One row per source; the key columns follow rotations, revoked follows revocation."""

    tables: Sequence[Table] = (sources,)
    handles: frozenset[str] = frozenset(
        {SourceRegistered.event_type, SourceKeyRotated.event_type, SourceRevoked.event_type}
    )

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Insert on registration; update the key on rotation and the flag on revocation."""
        data, position = recorded.envelope.data, recorded.position
        if isinstance(data, SourceRegistered):
            row = data.model_dump(exclude={"source_id"})
            await conn.execute(
                insert(sources).values(
                    source_id=data.source_id,
                    revoked=False,
                    registered_at=format_time(recorded.envelope.time),
                    position=position,
                    **row,
                )
            )
        elif isinstance(data, SourceKeyRotated):
            await _update(conn, data, position, key_id=data.key_id, key_hash=data.key_hash)
        elif isinstance(data, SourceRevoked):
            await _update(conn, data, position, revoked=True)


async def _update(
    conn: AsyncConnection, event: SourceKeyRotated | SourceRevoked, position: int, **values: object
) -> None:
    query = update(sources).where(sources.c.source_id == event.source_id)
    await conn.execute(query.values(position=position, **values))
