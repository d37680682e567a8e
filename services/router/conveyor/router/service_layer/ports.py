"""Ports of the router's service layer; adapters implement them over SQL."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from conveyor.events import Envelope, Recorded
from conveyor.router.domain.assignment import Assignment


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

    @abc.abstractmethod
    async def stream(self, stream_id: str) -> list[Recorded]:
        """Every event of a stream."""

    @abc.abstractmethod
    async def eligible_hunters(self, pool: str) -> list[str]:
        """Ids of the active hunters of a pool."""

    @abc.abstractmethod
    async def next_rotation(self, pool: str) -> int:
        """The pool's round-robin counter, locked for this transaction."""

    @abc.abstractmethod
    async def rep(self, rep_id: str) -> RepView | None:
        """A rep, if registered."""

    @abc.abstractmethod
    async def assignment(self, assignment_id: str) -> Assignment | None:
        """An assignment, if known."""
