"""Replaying the log: a payload is decoded straight from its JSON text to what the registry
would give, an older version still through its upcasters; no collections while replaying,
and the collector as it was afterwards."""

import gc
import json

from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.replay import decode_data, no_collections

SNAPSHOT = LeadSnapshot(
    lead_id="l1", source="web", channel="web_form", contact=Contact(name="Ada", phone="+44 1")
)


def test_a_payload_of_the_current_version_decodes_to_what_the_registry_gives() -> None:
    registry = build_registry()
    event = LeadQualified(lead_id="l1", lead=SNAPSHOT, score=80, temperature="hot", reasons=("a",))
    text = event.model_dump_json()
    decoded = decode_data(registry, LeadQualified.event_type, 2, text)
    assert decoded == registry.decode(LeadQualified.event_type, 2, json.loads(text)) == event


def test_an_older_payload_is_upcast_before_it_is_decoded() -> None:
    registry = build_registry()
    v1 = json.dumps({"lead_id": "l1", "lead": SNAPSHOT.model_dump(mode="json"), "score": 75})
    decoded = decode_data(registry, LeadQualified.event_type, 1, v1)
    assert decoded == registry.decode(LeadQualified.event_type, 1, json.loads(v1))
    assert isinstance(decoded, LeadQualified) and decoded.score == 75


def test_no_collections_while_replaying_and_the_collector_as_it_was_after() -> None:
    assert gc.isenabled()
    with no_collections():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused() -> None:
    gc.disable()
    try:
        with no_collections():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
