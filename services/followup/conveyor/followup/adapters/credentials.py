"""Reps' live credentials as a read model: the newest one issued to each rep."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table

from conveyor.events import Recorded
from conveyor.events.catalogue.followup import RepCredentialIssued
from conveyor.events.codec import format_time
from conveyor.events.projection import RowProjection
from conveyor.events.rows import Rows
from conveyor.followup.adapters.tables import credentials


class CredentialsProjection(RowProjection):
    """Each rep's live credential: the newest one issued."""

    tables: Sequence[Table] = (credentials,)
    handles: frozenset[str] = frozenset({RepCredentialIssued.event_type})

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Keep the new credential in place of the rep's old one."""
        event = recorded.envelope.data
        assert isinstance(event, RepCredentialIssued)
        await rows.delete(credentials, {"rep_id": event.rep_id})
        row = {
            "rep_id": event.rep_id,
            "key_id": event.key_id,
            "key_hash": event.key_hash,
            "issued_at": format_time(recorded.envelope.time),
        }
        await rows.insert(credentials, row)
