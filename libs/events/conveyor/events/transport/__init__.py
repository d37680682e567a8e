"""Two transports behind one interface: Kafka (aiokafka) and embedded (a SQL log)."""

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from conveyor.events.transport.base import (
    InboundMessage,
    MessageSink,
    MessageSource,
    OutboundMessage,
    Transport,
)


def check_bus_url(url: str) -> None:
    """Raise a ValueError naming the problem unless url is a bus URL transport_from_url
    takes: ``kafka://host:port[,host:port][?namespace=NAME]`` or a SQLAlchemy URL without a
    ``namespace`` (the embedded bus is one database per bus). Never quotes a SQL URL,
    which may hold a password."""
    if url.startswith("kafka://"):
        from conveyor.events.transport.kafka import parse_url

        parse_url(url)
        return
    try:
        query = make_url(url).query
    except ArgumentError:
        raise ValueError(
            "the bus URL is neither kafka://host:port[?namespace=NAME] nor a SQLAlchemy URL"
        ) from None
    if "namespace" in query:
        raise ValueError(
            "a bus namespace is for Kafka only: the embedded bus (a SQL URL) keeps its "
            "messages in the database it names, so give each Conveyor its own database"
        )


def transport_from_url(url: str) -> Transport:
    """A transport from a URL: ``kafka://host:port[,host:port][?namespace=NAME]`` or a
    SQLAlchemy URL (the embedded bus). A malformed URL or namespace is a ValueError."""
    if url.startswith("kafka://"):
        from conveyor.events.transport.kafka import KafkaTransport

        return KafkaTransport.from_url(url)  # parses and checks it
    check_bus_url(url)
    from conveyor.events.transport.embedded import EmbeddedTransport

    return EmbeddedTransport.from_url(url)


__all__ = [
    "InboundMessage",
    "MessageSink",
    "MessageSource",
    "OutboundMessage",
    "Transport",
    "check_bus_url",
    "transport_from_url",
]
