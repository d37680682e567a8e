"""The unit-of-work port: one transaction over intake's event log and read models."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from conveyor.events import Envelope
from conveyor.intake.domain.checklist import Checklist
from conveyor.intake.domain.duplicates import EarlierLead, PersonKeys
from conveyor.intake.service_layer.checklists import CHECKLIST_STREAM, checklist_of
from conveyor.intake.service_layer.idempotency import StoredReply
from conveyor.intake.service_layer.rate_limits import Admission, Hit


class AbstractUnitOfWork(abc.ABC):
    """A transaction: appends made inside it become durable together on commit, or not at all.

    Contract: leaving the block without commit rolls back; after commit the events are
    handed to the relay, which publishes them on the bus (at least once, in stream order).
    """

    source: str
    """The CloudEvents source of the events written through this unit of work."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> None:
        """Append to a stream that must be at expected_version (0: a new stream)."""

    @abc.abstractmethod
    async def read(self, stream_id: str) -> list[Envelope]:
        """Every committed event of a stream, in order (empty for a new stream)."""

    async def newest_checklist(self) -> Checklist | None:
        """The newest published qualification checklist (None before the first is published).

        A published version never changes, so an implementation may keep those it decoded.
        """
        history = await self.read(CHECKLIST_STREAM)
        return checklist_of(history[-1]) if history else None

    @abc.abstractmethod
    async def earlier_lead(self, keys: PersonKeys) -> EarlierLead | None:
        """The newest lead (not a touch) of the same person, seen by this transaction.

        Contract: after this call no other transaction can add a lead until this one ends,
        so two arrivals of one person never both become leads.
        """

    async def expect_leads(self, keys: Sequence[PersonKeys]) -> None:
        """Several leads, of these people, are about to be received in this transaction.

        An implementation may look them all up now and hold what they append until commit
        (or until something reads), as long as each lead is still checked against the
        earlier ones, those of this transaction included. Doing nothing is correct."""
        return None

    @abc.abstractmethod
    async def count_requests(self, hits: Sequence[Hit]) -> list[Admission]:
        """Count requests against their sources' rate limits with this transaction (a
        rollback undoes the count); each one's admission, in the order given."""

    @abc.abstractmethod
    async def earlier_reply(self, source_id: str, key: str) -> StoredReply | None:
        """The reply stored under a source's Idempotency-Key, if any."""

    @abc.abstractmethod
    async def remember_reply(self, reply: StoredReply) -> None:
        """Store a reply with this transaction; ReplyAlreadyStored if the key is taken."""

    @abc.abstractmethod
    async def commit(self) -> None:
        """Make the appends durable and tell the relay to publish them."""

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Discard what was not committed; harmless after commit."""
