"""The ``sources`` read model: who may post, with which key hash, at what rate."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from conveyor.events import Recorded
from conveyor.events.catalogue.intake import SourceKeyRotated, SourceRegistered, SourceRevoked
from conveyor.events.codec import format_time
from conveyor.events.projection import RowProjection
from conveyor.events.rows import Rows
from conveyor.intake.adapters.tables import sources


class SourcesProjection(RowProjection):
    """One row per source; the key columns follow rotations, revoked follows revocation."""

    tables: Sequence[Table] = (sources,)
    handles: frozenset[str] = frozenset(
        {SourceRegistered.event_type, SourceKeyRotated.event_type, SourceRevoked.event_type}
    )

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Insert on registration; update the key on rotation and the flag on revocation."""
        data, position = recorded.envelope.data, recorded.position
        if isinstance(data, SourceRegistered):
            row = data.model_dump(exclude={"source_id"})
            registered_at = format_time(recorded.envelope.time)
            await rows.insert(
                sources,
                {
                    "source_id": data.source_id,
                    "revoked": False,
                    "registered_at": registered_at,
                    "position": position,
                    **row,
                },
            )
        elif isinstance(data, SourceKeyRotated):
            await _update(rows, data, position, key_id=data.key_id, key_hash=data.key_hash)
        elif isinstance(data, SourceRevoked):
            await _update(rows, data, position, revoked=True)


async def _update(
    rows: Rows, event: SourceKeyRotated | SourceRevoked, position: int, **values: object
) -> None:
    await rows.update(sources, {"source_id": event.source_id}, {"position": position, **values})
