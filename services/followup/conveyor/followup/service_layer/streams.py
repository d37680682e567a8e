"""Appending followup's own events to its streams, with envelopes made the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.store import EventStore
from conveyor.followup.service_layer.ports import StreamWriter


def farmer_stream(farmer_id: str) -> str:
    """The stream of a farmer's own events."""
    return f"farmer-{farmer_id}"


@dataclass(frozen=True)
class Streams:
    """Reads stream versions and appends events as followup, stamped by its clock."""

    store: EventStore
    writer: StreamWriter
    source: str
    now: Callable[[], datetime]

    async def version(self, conn: AsyncConnection, stream_id: str) -> int:
        """The stream's current version (0: it does not exist)."""
        return await self.store.stream_version(conn, stream_id)

    async def last(self, conn: AsyncConnection, stream_id: str) -> Event | None:
        """The newest event of the stream, if it has any."""
        version = await self.version(conn, stream_id)
        recorded = await self.store.read_stream(conn, stream_id, after_version=version - 1)
        return recorded[-1].envelope.data if recorded else None

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        events: Sequence[Event],
        *,
        expected_version: int,
        cause: Envelope | None = None,
    ) -> None:
        """Append events to a stream at expected_version, caused by cause if given."""
        envelopes = [
            new_envelope(e, subject=stream_id, source=self.source, caused_by=cause, now=self.now())
            for e in events
        ]
        await self.writer.append(conn, stream_id, envelopes, expected_version=expected_version)
