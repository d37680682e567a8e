"""Serialisation of envelopes for Kafka in CloudEvents binary content mode.

The Kafka message key is the subject (the aggregate id); the value is the event data
as JSON; every other attribute travels in a ``ce_`` header, ``datacontenttype`` in
``content-type``. Extensions: ``ce_correlationid``, ``ce_causationid`` and
``ce_schemaversion`` (the data's schema version, used to upcast on read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conveyor.events.model import DATACONTENTTYPE, SPECVERSION, Envelope, Event
from conveyor.events.registry import Registry
from conveyor.events.tracing import traceparent

Headers = tuple[tuple[str, bytes], ...]


class MalformedMessage(ValueError):
    """A message that cannot be read as a Conveyor event."""


@dataclass(frozen=True)
class WireMessage:
    """A message as it travels: key, value and headers."""

    key: bytes | None
    value: bytes
    headers: Headers


def dump_data(event: Event) -> str:
    """The event's data as compact JSON text."""
    return event.model_dump_json()


def data_json_of(envelope: Envelope) -> str:
    """The envelope's data as JSON text: as it was read, else dumped from the model."""
    return envelope.data_json if envelope.data_json is not None else dump_data(envelope.data)


def encode(envelope: Envelope) -> WireMessage:
    """Encode an envelope as a binary-mode CloudEvents Kafka message."""
    return encode_fields(
        event_id=envelope.id,
        source=envelope.source,
        event_type=envelope.type,
        subject=envelope.subject,
        time=format_time(envelope.time),
        schema_version=envelope.schema_version,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        data_json=data_json_of(envelope),
    )


def encode_fields(
    *,
    event_id: str,
    source: str,
    event_type: str,
    subject: str,
    time: str,
    schema_version: int,
    correlation_id: str,
    causation_id: str | None,
    data_json: str,
) -> WireMessage:
    """Encode stored fields as a binary-mode message, without decoding the data."""
    attributes = {
        "ce_specversion": SPECVERSION,
        "ce_id": event_id,
        "ce_source": source,
        "ce_type": event_type,
        "ce_subject": subject,
        "ce_time": time,
        "ce_schemaversion": str(schema_version),
        "ce_correlationid": correlation_id,
        "content-type": DATACONTENTTYPE,
    }
    if causation_id:
        attributes["ce_causationid"] = causation_id
    attributes["ce_traceparent"] = traceparent(correlation_id, event_id)
    headers = tuple((name, value.encode()) for name, value in attributes.items())
    return WireMessage(subject.encode(), data_json.encode(), headers)


def decode(message: WireMessage, registry: Registry) -> Envelope:
    """Decode a binary-mode message into an envelope with the current model version."""
    attrs = _header_map(message.headers)
    try:
        version = int(attrs["ce_schemaversion"])
        data = registry.decode_json(
            attrs["ce_type"], version, message.value, event_id=attrs["ce_id"]
        )
        return Envelope(
            id=attrs["ce_id"],
            source=attrs["ce_source"],
            type=attrs["ce_type"],
            subject=attrs["ce_subject"],
            time=datetime.fromisoformat(attrs["ce_time"]),
            schema_version=data.schema_version,
            data=data,
            correlation_id=attrs["ce_correlationid"],
            causation_id=attrs.get("ce_causationid"),
            specversion=attrs["ce_specversion"],
            datacontenttype=attrs.get("content-type", "application/json"),
            data_json=message.value.decode() if version == data.schema_version else None,
        )
    except MalformedMessage:
        raise
    except Exception as exc:  # any failure to read is the message's fault
        raise MalformedMessage(f"{type(exc).__name__}: {exc}") from exc


def event_type_of(message: WireMessage) -> str | None:
    """The ce_type header of a message, if it has one."""
    for name, value in message.headers:
        if name == "ce_type":
            return value.decode(errors="replace")
    return None


def _header_map(headers: Headers) -> dict[str, str]:
    try:
        return {name.lower(): value.decode() for name, value in headers}
    except UnicodeDecodeError as exc:
        raise MalformedMessage(f"header is not UTF-8: {exc}") from exc


def format_time(moment: datetime) -> str:
    """RFC 3339 text of a moment, with Z for UTC."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
