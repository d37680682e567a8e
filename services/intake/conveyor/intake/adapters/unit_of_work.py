"""The SQL unit of work: one database transaction, appends through the runtime's writer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Select, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from conveyor.events import Envelope
from conveyor.events.codec import format_time
from conveyor.events.runtime import Runtime
from conveyor.events.store.engine import lock_log
from conveyor.intake.adapters.tables import idempotency_replies, leads
from conveyor.intake.domain.duplicates import EarlierLead, PersonKeys
from conveyor.intake.service_layer.idempotency import ReplyAlreadyStored, StoredReply
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


class SqlUnitOfWork(AbstractUnitOfWork):
    """Appends and projections in one transaction; commit wakes the outbox relay."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.source = runtime.source
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        self._conn = await self.runtime.engine.connect()
        self._tx = await self._conn.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, traceback)
        finally:
            await self._connection().close()

    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> None:
        """Append through the runtime's writer, which also updates the projections."""
        await self.runtime.writer.append(
            self._connection(), stream_id, envelopes, expected_version=expected_version
        )

    async def read(self, stream_id: str) -> list[Envelope]:
        """Every committed event of a stream, read in this transaction."""
        recorded = await self.runtime.store.read_stream(self._connection(), stream_id)
        return [item.envelope for item in recorded]

    async def earlier_lead(self, keys: PersonKeys) -> EarlierLead | None:
        """The newest lead of the person, looked up under the log lock (no racing arrival)."""
        if not keys:
            return None
        conn = self._connection()
        await lock_log(conn)
        row = (await conn.execute(_same_person(keys))).first()
        if row is None:
            return None
        matched_on = "email" if keys.email and row.email_key == keys.email else "phone"
        received_at = datetime.fromisoformat(row.received_at)
        outcome = "customer" if row.won_at else row.status
        return EarlierLead(row.lead_id, matched_on, received_at, outcome=outcome)

    async def earlier_reply(self, source_id: str, key: str) -> StoredReply | None:
        """The stored reply under a source's key, if any."""
        table = idempotency_replies
        query = select(table).where(table.c.source_id == source_id)
        row = (
            await self._connection().execute(query.where(table.c.idempotency_key == key))
        ).first()
        if row is None:
            return None
        return StoredReply(
            row.source_id, row.idempotency_key, row.fingerprint, row.lead_id, row.duplicate_of
        )

    async def remember_reply(self, reply: StoredReply) -> None:
        """Insert the reply in this transaction; ReplyAlreadyStored if the key is taken."""
        row = {
            "source_id": reply.source_id,
            "idempotency_key": reply.key,
            "fingerprint": reply.fingerprint,
            "lead_id": reply.lead_id,
            "duplicate_of": reply.duplicate_of,
            "created_at": format_time(datetime.now(UTC)),
        }
        try:
            async with self._connection().begin_nested():
                await self._connection().execute(insert(idempotency_replies).values(**row))
        except IntegrityError as exc:
            raise ReplyAlreadyStored(reply.key) from exc

    async def commit(self) -> None:
        """Commit the transaction, then wake the relay so it publishes now."""
        await self._transaction().commit()
        self.runtime.committed()

    async def rollback(self) -> None:
        """Roll back unless already committed or rolled back."""
        if self._tx is not None and self._tx.is_active:
            await self._tx.rollback()

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("use the unit of work in an `async with` block")
        return self._conn

    def _transaction(self) -> AsyncTransaction:
        if self._tx is None:
            raise RuntimeError("use the unit of work in an `async with` block")
        return self._tx


def _same_person(keys: PersonKeys) -> Select[Any]:
    matches = []
    if keys.email:
        matches.append(leads.c.email_key == keys.email)
    if keys.phone:
        matches.append(leads.c.phone == keys.phone)
    return (
        select(
            leads.c.lead_id, leads.c.email_key, leads.c.received_at, leads.c.status, leads.c.won_at
        )
        .where(leads.c.duplicate_of.is_(None))
        .where(or_(*matches))
        .order_by(leads.c.received_at.desc())
        .limit(1)
    )


class ConsumerUnitOfWork(SqlUnitOfWork):
    """A unit of work inside a consumer's transaction: the consumer commits it, together with
    the mark that the event was handled (and wakes the relay after)."""

    def __init__(self, runtime: Runtime, conn: AsyncConnection) -> None:
        super().__init__(runtime)
        self._conn = conn

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        """Nothing: the consumer commits its transaction once the handler returns."""

    async def rollback(self) -> None:
        """Nothing: an exception leaves the handler and the consumer rolls back."""
