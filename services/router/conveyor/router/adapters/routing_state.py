"""The routing state held in memory and caught up with the log at each decision."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Recorded
from conveyor.events.replay import read_chunk
from conveyor.events.store import (
    EventStore,
    appends_made,
    in_savepoint,
    lock_log,
    transaction_of,
)
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.folding import FOLDED_TYPES, fold

BATCH = 1000


class HeldEventsLost(RuntimeError):
    """Events folded ahead of the log cannot be written as held: the state was asked to read
    the log before they were appended (something else was appended in between), or they
    would be appended inside a savepoint, or the log refused them. The transaction must
    roll back (and its work be done again without holding)."""


class RoutingStateCache:
    """The state folded up to a log position; catching up takes the log lock first, so
    the state is the committed log's and no other decision commits before the caller's.

    Folding never awaits, so coroutines sharing the cache need no lock: each folds only
    what lies beyond the position the cache reached, whoever read it first.

    A transaction making several decisions (the lead consumer applies a fetched batch in
    one) folds its own earlier decisions before the next, as the log it reads has them; if
    it then rolls back, ``forget`` drops the state so the next caller folds the committed
    log again. It need not read them back: while it holds the lock no one else appends, so
    what it appended since it caught up (``appended``) is all the log has beyond the state.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state = RoutingState()
        self.position = 0
        self.generation = 0
        self._holder: object | None = None  # the transaction that caught up under the lock
        self._pending: list[Recorded] = []  # what it appended since
        self._appends = 0  # the appends made on its connection, as far as it knows
        self._ahead = 0  # events it folded before appending them (``fold_held``)

    def forget(self) -> None:
        """Drop the folded state (after a rollback of events it may have folded)."""
        self.state = RoutingState()
        self.position = 0
        self.generation += 1  # a read under way when this happens folds nothing it read
        self._holder, self._pending, self._ahead = None, [], 0

    async def caught_up(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, the log lock held (and what this
        transaction appended itself, folded from what it appended when it caught up before:
        no read)."""
        await lock_log(conn)
        transaction = transaction_of(conn)
        mine = transaction is not None and transaction is self._holder
        if mine and self._fold_pending(conn):
            return self.state
        if self._ahead:  # events folded and not appended
            if mine:  # reading the log would lose them
                raise HeldEventsLost("the routing state folded events its transaction holds")
            self.forget()  # their transaction ended without appending them
        self._holder, self._pending = None, []
        generation = self.generation
        state = await self.refreshed(conn)
        if transaction is not None and generation == self.generation:
            self._holder, self._appends = transaction, appends_made(conn)
        return state

    def appended(self, conn: AsyncConnection, recorded: Sequence[Recorded]) -> None:
        """Note events appended on ``conn``: the transaction that caught up folds them at its
        next catch-up without reading them back (they are not folded before: it may still
        roll back). Appends in a savepoint are not noted: the next catch-up reads."""
        holding = self._holder is not None and transaction_of(conn) is self._holder
        if recorded and holding and not in_savepoint(conn):  # a savepoint may roll back alone
            self._pending.extend(recorded)
            self._appends += 1

    def fold_held(self, conn: AsyncConnection, envelopes: Sequence[Envelope]) -> bool:
        """Fold events the transaction that caught up keeps to append later (a lead batch's
        decisions, written together at its end), so its next decision sees them at once;
        False (nothing folded: append them now) on another transaction's connection, in a
        savepoint, or with appends of its own not folded yet."""
        holding = self._holder is not None and transaction_of(conn) is self._holder
        if not holding or in_savepoint(conn) or self._pending:
            return False
        if appends_made(conn) != self._appends:
            return False
        for envelope in envelopes:
            fold(self.state, envelope)
        self._ahead += len(envelopes)
        return True

    def held_written(self, conn: AsyncConnection, recorded: Sequence[Recorded]) -> None:
        """The events folded ahead are appended (``recorded``, in one append): the state's
        position moves past them if they are all that was appended since it caught up (the
        lock keeps every other transaction out; the store counts this connection's appends,
        so positions may skip numbers a rolled-back transaction took); otherwise the state
        is dropped (``forget``), to be folded from the log again."""
        if not recorded and not self._ahead:
            return
        holding = self._holder is not None and transaction_of(conn) is self._holder
        positions = [r.position for r in recorded]
        exact = (
            holding
            and not self._pending
            and appends_made(conn) == self._appends + 1
            and len(positions) == self._ahead
            and positions == sorted(positions)
            and positions[0] > self.position
        )
        if not exact:
            self.forget()
            return
        self.position, self._appends, self._ahead = positions[-1], self._appends + 1, 0

    def _fold_pending(self, conn: AsyncConnection) -> bool:
        """Fold the holder's own appends if they are exactly what follows the state: nothing
        else changed it since (a ``forget`` drops the holder; no gap; no append on the
        connection that was not noted here: the store counts them all); False if the log
        must be read."""
        if appends_made(conn) != self._appends:
            return False
        position = self.position
        for recorded in self._pending:
            if recorded.position != position + 1:
                return False
            position = recorded.position
        for recorded in self._pending:
            fold(self.state, recorded.envelope)
        self.position, self._pending = position, []
        return True

    async def refreshed(self, conn: AsyncConnection) -> RoutingState:
        """The state with every committed event folded in, no lock taken (for reading).
        Only the events routing folds are decoded; the rest (webhook outcomes, most of the
        log) are passed over by type."""
        while True:
            generation = self.generation
            chunk = await read_chunk(
                conn, self.store, types=FOLDED_TYPES, after=self.position, limit=BATCH
            )
            if generation != self.generation:
                continue
            if chunk is None:
                return self.state
            for recorded in chunk.events:
                if recorded.position > self.position:
                    fold(self.state, recorded.envelope)
                    self.position = recorded.position  # a fold that fails is not redone
            self.position = max(self.position, chunk.last)
            if chunk.read < BATCH:
                return self.state
