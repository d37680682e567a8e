"""Appending followup's own events to its streams, with envelopes made the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.store import EventStore
from conveyor.followup.service_layer.ports import StreamWriter

_ABSENT = "conveyor.followup.absent_streams"  # connection info, inside absent_known


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
        if stream_id in conn.info.get(_ABSENT, ()):
            return 0
        return await self.store.stream_version(conn, stream_id)

    @asynccontextmanager
    async def absent_known(
        self, conn: AsyncConnection, stream_ids: Collection[str]
    ) -> AsyncIterator[None]:
        """Inside, in conn's transaction: which of these streams do not exist is known from
        one statement, so their versions need no read (a consumer batch asks about all its
        leads at once; a stream appended to here exists from then on)."""
        existing = await self.store.existing(conn, sorted(stream_ids))
        conn.info[_ABSENT] = set(stream_ids) - existing
        try:
            yield
        finally:
            conn.info.pop(_ABSENT, None)

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
        conn.info.get(_ABSENT, set()).discard(stream_id)
