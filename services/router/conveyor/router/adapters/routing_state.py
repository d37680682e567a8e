"""The routing state held in memory and caught up with the log at each decision."""

from __future__ import annotations

import asyncio

from conveyor.events.store import EventStore, lock_log
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.folding import fold
from sqlalchemy.ext.asyncio import AsyncConnection


class RoutingStateCache:
    """The state folded up to a log position; catching up takes the log lock first, so
    the state is the committed log's and no other decision commits before the caller's."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state = RoutingState()
        self.position = 0
        self._lock = asyncio.Lock()

    async def caught_up(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, the log lock held."""
        await lock_log(conn)
        return await self.refreshed(conn)

    async def refreshed(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, no lock taken (for reading)."""
        async with self._lock:
            while batch := await self.store.read_all(
                conn, after=self.position, limit=1000
            ):
                for recorded in batch:
                    fold(self.state, recorded.envelope)
                self.position = batch[-1].position
        return self.state
