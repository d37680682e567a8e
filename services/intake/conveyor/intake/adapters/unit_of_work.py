"""The SQL unit of work: one database transaction, appends through the runtime's writer."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from conveyor.events import Envelope
from conveyor.events.runtime import Runtime
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
