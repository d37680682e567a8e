"""The routing state held in memory and caught up with the log at each decision."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.store import EventStore, lock_log
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.folding import fold

BATCH = 1000


class RoutingStateCache:
    """The state folded up to a log position; catching up takes the log lock first, so
    the state is the committed log's and no other decision commits before the caller's.

    Folding never awaits, so coroutines sharing the cache need no lock: each folds only
    what lies beyond the position the cache reached, whoever read it first.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state = RoutingState()
        self.position = 0

    async def caught_up(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, the log lock held."""
        await lock_log(conn)
        return await self.refreshed(conn)

    async def refreshed(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, no lock taken (for reading)."""
        while True:
            batch = await self.store.read_all(conn, after=self.position, limit=BATCH)
            for recorded in batch:
                if recorded.position > self.position:
                    fold(self.state, recorded.envelope)
                    self.position = recorded.position
            if len(batch) < BATCH:
                return self.state
