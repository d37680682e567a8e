"""Two transports behind one interface: Kafka (aiokafka) and embedded (a SQL log)."""

from conveyor.events.transport.base import (
    InboundMessage,
    MessageSink,
    MessageSource,
    OutboundMessage,
    Transport,
)


def transport_from_url(url: str) -> Transport:
    """A transport from a URL: ``kafka://host:port[,host:port]`` or a SQLAlchemy URL."""
    if url.startswith("kafka://"):
        from conveyor.events.transport.kafka import KafkaTransport

        return KafkaTransport(url.removeprefix("kafka://"))
    from conveyor.events.transport.embedded import EmbeddedTransport

    return EmbeddedTransport.from_url(url)


__all__ = [
    "InboundMessage",
    "MessageSink",
    "MessageSource",
    "OutboundMessage",
    "Transport",
    "transport_from_url",
]
