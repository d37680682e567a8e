"""Fakes of followup's ports, for handler tests without a database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Recorded
from conveyor.events.store import ConcurrencyError
from conveyor.followup.domain.handover import FarmerLoad
from conveyor.followup.service_layer.ports import FarmerLoads, Placement


class FakeWriter:
    """Streams in a dict; a stale expected version raises like the real store."""

    def __init__(self) -> None:
        self.streams: dict[str, list[Envelope]] = {}

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        *,
        expected_version: int,
    ) -> list[Recorded]:
        stream = self.streams.setdefault(stream_id, [])
        if len(stream) != expected_version:
            raise ConcurrencyError(stream_id, expected_version, len(stream))
        start = len(stream)
        stream.extend(envelopes)
        return [Recorded(env, stream_id, start + n, 0) for n, env in enumerate(envelopes, 1)]


class FakeFarmerLoads(FarmerLoads):
    """A fixed list of farmers."""

    def __init__(self, *farmers: FarmerLoad, clients: dict[str, str] | None = None) -> None:
        self.farmers = list(farmers)
        self.clients = dict(clients or {})

    async def enrolled(self, conn: AsyncConnection) -> list[FarmerLoad]:
        return list(self.farmers)

    async def farmer_of_client(self, conn: AsyncConnection, client_key: str) -> str | None:
        return self.clients.get(client_key)

    async def team_lead_of(self, conn: AsyncConnection, farmer_id: str) -> str | None:
        return None

    async def is_available(self, conn: AsyncConnection, farmer_id: str) -> bool:
        return any(f.farmer_id == farmer_id and f.available for f in self.farmers)

    async def accounts_of(self, conn: AsyncConnection, farmer_id: str) -> list[Placement]:
        return []


class Relay:
    """Counts how often the handlers said something was committed."""

    def __init__(self) -> None:
        self.wakes = 0

    def committed(self) -> None:
        self.wakes += 1


def moment(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
