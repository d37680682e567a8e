import json
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat

from conveyor.events import new_envelope
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.codec import (
    MalformedMessage,
    WireMessage,
    data_json_of,
    decode,
    encode,
)

MOMENT = datetime(2026, 11, 22, 9, 30, 15, 250000, tzinfo=UTC)


def received() -> LeadReceived:
    lead = LeadSnapshot(
        lead_id="lead-1",
        source="web",
        channel="web_form",
        contact=Contact(name="Zoë Ünal", email="zoe@example.com"),
    )
    return LeadReceived(lead_id="lead-1", lead=lead, received_at=MOMENT)


def test_an_envelope_round_trips_through_the_wire_format() -> None:
    envelope = new_envelope(received(), subject="lead-1", source="/conveyor/intake", now=MOMENT)
    assert decode(encode(envelope), build_registry()) == envelope


def test_the_official_cloudevents_sdk_parses_our_binary_mode_messages() -> None:
    cause = new_envelope(received(), subject="lead-1", source="/conveyor/intake")
    envelope = new_envelope(
        received(), subject="lead-1", source="/conveyor/intake", caused_by=cause, now=MOMENT
    )
    wire = encode(envelope)
    message = ce_kafka.KafkaMessage(headers=dict(wire.headers), key=wire.key, value=wire.value)
    event = ce_kafka.from_kafka(message, JSONFormat())
    assert event.get_id() == envelope.id
    assert event.get_type() == "conveyor.lead.received"
    assert event.get_source() == "/conveyor/intake"
    assert event.get_subject() == "lead-1"
    assert event.get_time() == MOMENT
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("correlationid") == cause.correlation_id
    assert event.get_extension("causationid") == cause.id
    assert event.get_extension("schemaversion") == "1"
    assert event.get_extension("partitionkey") == "lead-1"
    assert event.get_data()["lead"]["contact"]["name"] == "Zoë Ünal"


def test_correlation_flows_from_cause_to_effect() -> None:
    cause = new_envelope(received(), subject="lead-1", source="/conveyor/intake")
    effect = new_envelope(received(), subject="lead-1", source="/conveyor/router", caused_by=cause)
    assert cause.correlation_id == cause.id
    assert effect.correlation_id == cause.id
    assert effect.causation_id == cause.id


@pytest.mark.parametrize(
    ("value", "headers"),
    [
        (b"not json", (("ce_type", b"conveyor.lead.received"),)),
        (b"[1, 2]", (("ce_type", b"conveyor.lead.received"),)),
        (b"{}", (("ce_type", b"conveyor.lead.received"), ("ce_schemaversion", b"1"))),
        (b"{}", ()),
        (b"{}", (("ce_type", b"\xff\xfe"),)),
    ],
)
def test_unreadable_messages_are_reported_as_malformed(
    value: bytes, headers: tuple[tuple[str, bytes], ...]
) -> None:
    with pytest.raises(MalformedMessage):
        decode(WireMessage(b"k", value, headers), build_registry())


def test_messages_carry_a_w3c_traceparent_in_the_leads_trace() -> None:
    envelope = new_envelope(received(), subject="lead-1", source="/conveyor/intake")
    header = dict(encode(envelope).headers)["ce_traceparent"].decode()
    version, trace_id, span_id, flags = header.split("-")
    assert (version, flags) == ("00", "01")
    assert trace_id == envelope.correlation_id.replace("-", "")
    assert len(span_id) == 16 and int(span_id, 16) != 0


def test_a_decoded_message_keeps_its_data_as_it_came_and_sends_it_on_unchanged() -> None:
    envelope = new_envelope(received(), subject="lead-1", source="/conveyor/intake", now=MOMENT)
    wire = encode(envelope)
    spaced = json.dumps(json.loads(wire.value), indent=1).encode()  # not how pydantic dumps
    decoded = decode(WireMessage(wire.key, spaced, wire.headers), build_registry())
    assert decoded == envelope
    assert decoded.data_json == spaced.decode()
    assert data_json_of(decoded) == spaced.decode()
    assert encode(decoded).value == spaced  # passed on as read, not dumped again
    assert data_json_of(envelope) == envelope.data.model_dump_json()  # made here: dumped


def test_data_of_an_older_schema_version_is_not_kept_as_the_current_one() -> None:
    old = json.dumps({"lead_id": "l1", "lead": received().lead.model_dump(mode="json"), "score": 9})
    envelope = new_envelope(
        LeadQualified(lead_id="l1", lead=received().lead, score=9, temperature="cold"),
        subject="l1",
        source="/conveyor/intake",
        now=MOMENT,
    )
    wire = encode(envelope)
    headers = tuple(
        (name, b"1" if name == "ce_schemaversion" else value) for name, value in wire.headers
    )
    decoded = decode(WireMessage(wire.key, old.encode(), headers), build_registry())
    assert decoded.schema_version == LeadQualified.schema_version == 2
    assert decoded.data_json is None  # upcast: the text read is v1, the model v2
    assert json.loads(data_json_of(decoded)) == decoded.data.model_dump(mode="json")
