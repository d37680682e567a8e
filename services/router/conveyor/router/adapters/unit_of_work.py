"""The router's unit of work over SQL: the log, the read models, one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Recorded
from conveyor.events.runtime import Runtime
from conveyor.router.adapters.routing_state import RoutingStateCache
from conveyor.router.adapters.tables import assignments, reps, secret_store
from conveyor.router.domain.assignment import Assignment
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.ports import RepView, UnitOfWork


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
        recorded = await self.runtime.writer.append(
            self.conn, stream_id, envelopes, expected_version=expected_version
        )
        self.cache.appended(self.conn, recorded)
        return recorded

    async def append_many(self, streams: Sequence[tuple[str, Sequence[Envelope]]]) -> None:
        """Append to several streams at their ends in one go, in the order given."""
        recorded = await self.runtime.writer.append_many(self.conn, streams)
        self.cache.appended(self.conn, [item for appended in recorded for item in appended])

    async def stream(self, stream_id: str) -> list[Recorded]:
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
