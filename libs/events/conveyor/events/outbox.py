"""The outbox relay: publishes the event log to the bus in commit order, remembering how far
it got. The events table is the outbox: a crash between commit and publish loses nothing,
and a crash between publish and recording the position publishes again (consumers absorb
the duplicates by event id)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.metrics import Metrics
from conveyor.events.store.positions import load_position, save_position
from conveyor.events.store.store import EventStore
from conveyor.events.transport.base import MessageSink, OutboundMessage
from conveyor.events.waker import Waker

log = logging.getLogger(__name__)


class OutboxRelay:
    """Moves new events from a service's log to the bus."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        store: EventStore,
        sink: MessageSink,
        name: str = "outbox",
        batch_size: int = 500,
        idle_wait: float = 0.5,
        metrics: Metrics | None = None,
    ) -> None:
        self.engine, self.store, self.sink, self.name = engine, store, sink, name
        self.batch_size, self.idle_wait = batch_size, idle_wait
        self._waker = Waker()
        self.metrics = metrics

    def wake(self) -> None:
        """Tell the relay that new events were committed."""
        self._waker.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until stop is set; on errors, back off and resume from the saved position."""
        while not stop.is_set():
            try:
                async with self.engine.connect() as conn:
                    await self._relay(await _autocommit(conn), stop)
            except Exception:
                log.exception("outbox relay %s failed; retrying", self.name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def _relay(self, conn: AsyncConnection, stop: asyncio.Event) -> None:
        """One connection for the whole run, the position kept in memory between batches."""
        async with conn.begin():
            after = await load_position(conn, self.name)
        while not stop.is_set():
            published, after = await self._publish_after(conn, after)
            if published < self.batch_size:
                await self._waker.wait(stop, self.idle_wait)

    async def _publish_after(self, conn: AsyncConnection, after: int) -> tuple[int, int]:
        """Publish the batch after a position and save the new one: (how many, position)."""
        async with conn.begin():
            batch = await self.store.read_wire(conn, after=after, limit=self.batch_size)
        if not batch:
            return 0, after
        registry = self.store.registry
        await self.sink.publish(
            [OutboundMessage(registry.model(event_type).topic, msg) for _, event_type, msg in batch]
        )
        async with conn.begin():  # a position lost in a crash only publishes again
            await save_position(conn, self.name, batch[-1][0], flushed=False)
        if self.metrics is not None:
            for _, event_type, message in batch:
                self.metrics.published(event_type, message)
        return len(batch), batch[-1][0]

    async def backlog(self) -> int:
        """How many stored events are not yet published."""
        async with self.engine.connect() as conn:
            return await self.store.head(conn) - await load_position(conn, self.name)


async def _autocommit(conn: AsyncConnection) -> AsyncConnection:
    """On PostgreSQL, no BEGIN/COMMIT round trips around the relay's single statements
    (SQLite keeps its transactions: its BEGIN IMMEDIATE serialises writers)."""
    if conn.dialect.name != "postgresql":
        return conn
    return await conn.execution_options(isolation_level="AUTOCOMMIT")
