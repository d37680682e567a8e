"""Ports of the router's service layer; adapters implement them over SQL."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from conveyor.events import Envelope, Recorded
from conveyor.router.domain.accounts import Similarity
from conveyor.router.domain.assignment import Assignment
from conveyor.router.domain.state import RoutingState

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AccountMatching:
    """How company names are compared (0..100) and how close counts as the same."""

    similarity: Similarity
    threshold: float = 90.0


@dataclass(frozen=True)
class RepView:
    """What the router knows of a rep for routing and delivery."""

    rep_id: str
    name: str
    role: str
    webhook_url: str | None
    active: bool


class UnitOfWork(abc.ABC):
    """One transaction over the router's log and read models.

    Contract: appends and read-model updates made inside are committed together by
    ``commit`` or not at all.
    """

    @abc.abstractmethod
    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> list[Recorded]:
        """Append to a stream (and project) inside this transaction."""

    async def start_stream(self, stream_id: str, envelopes: Sequence[Envelope]) -> None:
        """Begin a new stream with these events; ConcurrencyError if it exists (the
        transaction is not spoilt). An implementation may keep the events to append them
        with others before the transaction commits (a stream that exists by then fails the
        whole transaction: its caller applies its work again one piece at a time); the
        routing state sees them at once either way."""
        await self.append(stream_id, envelopes, expected_version=0)

    @abc.abstractmethod
    async def stream(self, stream_id: str) -> list[Recorded]:
        """Every event of a stream."""

    @abc.abstractmethod
    async def routing_state(self) -> RoutingState:
        """The routing state folded from every committed event of the log, held for this
        transaction: no other routing decision commits until this one does. Call it before
        appending, and do not change it: the next call folds what this one appends."""

    @abc.abstractmethod
    async def rep(self, rep_id: str) -> RepView | None:
        """A rep, if registered."""

    @abc.abstractmethod
    async def assignment(self, assignment_id: str) -> Assignment | None:
        """An assignment, if known."""

    @abc.abstractmethod
    async def add_webhook_secret(
        self, rep_id: str, secret_id: str, secret: str, *, now: datetime, retire_at: datetime
    ) -> bool:
        """Keep a new signing secret for the rep's endpoint; the rep's secrets still in force
        expire at ``retire_at``. Returns whether there were any."""
