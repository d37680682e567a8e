"""Fakes of intake's own ports."""

from collections.abc import Sequence

from conveyor.events import Envelope
from conveyor.events.store import ConcurrencyError
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


class FakeUnitOfWork(AbstractUnitOfWork):
    """Streams in a dict; appends become visible only on commit."""

    def __init__(self) -> None:
        self.source = "/conveyor/intake-test"
        self.streams: dict[str, list[Envelope]] = {}
        self.commits = 0
        self._pending: list[tuple[str, list[Envelope]]] = []

    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> None:
        current = len(self.streams.get(stream_id, []))
        if current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        self._pending.append((stream_id, list(envelopes)))

    async def commit(self) -> None:
        for stream_id, envelopes in self._pending:
            self.streams.setdefault(stream_id, []).extend(envelopes)
        self._pending.clear()
        self.commits += 1

    async def rollback(self) -> None:
        self._pending.clear()
