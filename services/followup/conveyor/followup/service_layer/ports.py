"""Ports of followup's service layer; adapters implement them over SQL."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Recorded
from conveyor.followup.domain.handover import FarmerLoad


class FarmerLoads(abc.ABC):
    """Reads the enrolled farmers and the size of their portfolios.

    Contract: reads inside the caller's transaction, so a handover appended earlier in
    it already counts; farmers are returned whatever their order, each once.
    """

    @abc.abstractmethod
    async def enrolled(self, conn: AsyncConnection) -> list[FarmerLoad]:
        """Every enrolled farmer with the number of accounts they hold."""


class StreamWriter(Protocol):
    """Appends to a stream in the caller's transaction and updates the read models with it.

    Contract: a stream not at expected_version raises ConcurrencyError and writes nothing
    (conveyor.events.projection.EventWriter is the implementation).
    """

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        *,
        expected_version: int,
    ) -> Sequence[Recorded]:
        """Append envelopes to a stream that must be at expected_version (0: new)."""
        ...
