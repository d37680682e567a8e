"""The router's unit of work over SQL: the log, the read models, one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Recorded
from conveyor.events.consumer import BatchScope
from conveyor.events.projection import HeldAppends
from conveyor.events.runtime import Runtime
from conveyor.events.store import ConcurrencyError, in_savepoint, lock_log
from conveyor.router.adapters.routing_state import HeldEventsLost, RoutingStateCache
from conveyor.router.adapters.tables import assignments, reps, secret_store
from conveyor.router.domain.assignment import Assignment
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.ports import RepView, UnitOfWork

HELD = "conveyor.router.held_streams"
"""Where a connection's ``info`` keeps the new streams a lead batch holds."""


class HeldStreams(HeldAppends):
    """New streams begun in a transaction and not appended yet, in order; and every stream
    begun in it (held or written since)."""

    def __init__(self) -> None:
        super().__init__()
        self.begun: set[str] = set()


def holding_new_streams(runtime: Runtime, cache: RoutingStateCache) -> BatchScope:
    """A lead batch's scope: its projections' rows held in memory (``EventWriter.buffered``)
    and the new streams its decisions begin held too, folded into the routing state at once
    and appended together (one statement) before the batch's transaction commits."""

    @asynccontextmanager
    async def scope(conn: AsyncConnection, leads: Sequence[Envelope]) -> AsyncIterator[object]:
        async with runtime.writer.buffered(conn) as buffer:
            held = conn.info[HELD] = HeldStreams()
            try:
                # under the lock, the leads routed already: their decisions are passed over
                await lock_log(conn, appending=True)
                held.begun |= await runtime.store.existing(conn, [e.subject for e in leads])
                yield buffer
                await SqlUnitOfWork(conn, runtime, cache).write_held()
            except BaseException:
                cache.forget()  # it folded what the failed batch held
                raise
            finally:
                del conn.info[HELD]

    return scope


class SqlUnitOfWork(UnitOfWork):
    """Works inside a connection whose transaction the caller owns."""

    def __init__(
        self,
        conn: AsyncConnection,
        runtime: Runtime,
        cache: RoutingStateCache | None = None,
    ) -> None:
        self.conn, self.runtime = conn, runtime
        self.cache = cache or RoutingStateCache(runtime.store)

    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> list[Recorded]:
        await self.write_held()
        recorded = await self.runtime.writer.append(
            self.conn, stream_id, envelopes, expected_version=expected_version
        )
        self.cache.appended(self.conn, recorded)
        return recorded

    async def start_stream(self, stream_id: str, envelopes: Sequence[Envelope]) -> None:
        """Begin a new stream; inside ``holding_new_streams``, held to be appended with the
        batch's others (the routing state folds it now)."""
        held: HeldStreams | None = self.conn.info.get(HELD)
        if held is None:
            await self.append(stream_id, envelopes, expected_version=0)
            return
        if stream_id in held.begun:
            raise ConcurrencyError(stream_id, 0, None)
        if not self.cache.fold_held(self.conn, envelopes):
            await self.append(stream_id, envelopes, expected_version=0)
        else:
            held.add(stream_id, envelopes, new=True)
        held.begun.add(stream_id)

    async def write_held(self) -> None:
        """Append the new streams held, in one statement (each must not exist yet)."""
        held: HeldStreams | None = self.conn.info.get(HELD)
        if held is None or not held.streams:
            return
        if in_savepoint(self.conn):  # the savepoint could roll them back alone
            self.cache.forget()
            raise HeldEventsLost("new streams held by a batch would be written in a savepoint")
        streams, new = held.take()
        try:
            recorded = await self.runtime.writer.append_many(self.conn, streams, new=new)
        except ConcurrencyError as exc:  # not "this lead is routed already": the batch fails
            self.cache.forget()
            raise HeldEventsLost(f"a stream held as new exists: {exc}") from exc
        self.cache.held_written(self.conn, [item for appended in recorded for item in appended])

    async def append_many(self, streams: Sequence[tuple[str, Sequence[Envelope]]]) -> None:
        """Append to several streams at their ends in one go, in the order given."""
        await self.write_held()
        recorded = await self.runtime.writer.append_many(self.conn, streams)
        self.cache.appended(self.conn, [item for appended in recorded for item in appended])

    async def stream(self, stream_id: str) -> list[Recorded]:
        await self.write_held()
        return await self.runtime.store.read_stream(self.conn, stream_id)

    async def routing_state(self) -> RoutingState:
        return await self.cache.caught_up(self.conn)

    async def rep(self, rep_id: str) -> RepView | None:
        row = (await self.conn.execute(select(reps).where(reps.c.rep_id == rep_id))).first()
        if row is None:
            return None
        return RepView(row.rep_id, row.name, row.role, row.webhook_url, row.active)

    async def assignment(self, assignment_id: str) -> Assignment | None:
        query = select(assignments).where(assignments.c.assignment_id == assignment_id)
        row = (await self.conn.execute(query)).first()
        if row is None:
            return None
        return Assignment(row.assignment_id, row.lead_id, row.rep_id, row.status)

    async def add_webhook_secret(
        self, rep_id: str, secret_id: str, secret: str, *, now: datetime, retire_at: datetime
    ) -> bool:
        return await secret_store.add(
            self.conn, rep_id, secret_id, secret, now=now, retire_at=retire_at
        )
