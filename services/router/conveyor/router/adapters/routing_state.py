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

    A transaction making several decisions (the lead consumer applies a fetched batch in
    one) folds its own earlier decisions before the next, as the log it reads has them; if
    it then rolls back, ``forget`` drops the state so the next caller folds the committed
    log again.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state = RoutingState()
        self.position = 0
        self.generation = 0

    def forget(self) -> None:
        """Drop the folded state (after a rollback of events it may have folded)."""
        self.state = RoutingState()
        self.position = 0
        self.generation += 1  # a read under way when this happens folds nothing it read

    async def caught_up(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, the log lock held."""
        await lock_log(conn)
        return await self.refreshed(conn)

    async def refreshed(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, no lock taken (for reading)."""
        while True:
            generation = self.generation
            batch = await self.store.read_all(conn, after=self.position, limit=BATCH)
            if generation != self.generation:
                continue
            for recorded in batch:
                if recorded.position > self.position:
                    fold(self.state, recorded.envelope)
                    self.position = recorded.position
            if len(batch) < BATCH:
                return self.state
