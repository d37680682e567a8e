"""The bus port: a sink that publishes messages and sources that consume them in groups."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from conveyor.events.codec import WireMessage


@dataclass(frozen=True)
class OutboundMessage:
    """A message to publish on a topic."""

    topic: str
    message: WireMessage


@dataclass(frozen=True)
class InboundMessage:
    """A message read from a topic partition at an offset."""

    topic: str
    partition: int
    offset: int
    message: WireMessage


class MessageSink(abc.ABC):
    """Publishes messages.

    Contract: ``publish`` returns only once every message is durably stored by the
    transport; messages with the same key keep the order they were given in.
    """

    async def start(self) -> None:
        """Connect; called once before publishing."""

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""

    @abc.abstractmethod
    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        """Publish the messages, in order per key, and wait until they are stored."""


class MessageSource(abc.ABC):
    """Consumes topics as a member of a consumer group.

    Contract: messages of one key arrive in the order they were published; after
    ``commit(messages)`` a later member of the same group starts after them; what was
    fetched but not committed is delivered again (at least once).
    """

    async def start(self) -> None:
        """Join the group; called once before fetching."""

    async def stop(self) -> None:
        """Leave the group."""

    @abc.abstractmethod
    async def fetch(self, *, max_messages: int, max_wait: float) -> list[InboundMessage]:
        """Wait up to max_wait seconds for messages; return what arrived (maybe none)."""

    @abc.abstractmethod
    async def commit(self, messages: Sequence[InboundMessage]) -> None:
        """Record that these messages (and all before them in their partitions) are done."""

    async def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet fetched, per (topic, partition) this member reads."""
        return {}

    @abc.abstractmethod
    async def rewind(self) -> None:
        """Go back to the committed offsets: what was fetched since is fetched again."""


class Transport(abc.ABC):
    """Makes sinks and sources of one kind (Kafka, embedded)."""

    @abc.abstractmethod
    def sink(self) -> MessageSink:
        """A new sink."""

    @abc.abstractmethod
    def source(self, *, topics: Sequence[str], group: str, linger: float = 0.0) -> MessageSource:
        """A new source that joins the group on the topics. ``linger``: the group's consumer
        waits up to that many seconds to gather a fuller batch, so the transport may hold
        messages back for a while too (to send fewer, larger fetches)."""

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create the topics if the transport needs them made in advance."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise unless the bus answers."""

    async def close(self) -> None:
        """Release what the transport holds."""
