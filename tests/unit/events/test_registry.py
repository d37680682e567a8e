import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import create_model

from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.router import DealLost, DealWon
from conveyor.events.catalogue.topics import DEALS
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.model import Event, EventView
from conveyor.events.registry import Registry, UnknownEventType

SNAPSHOT = LeadSnapshot(
    lead_id="l1",
    source="web",
    channel="web_form",
    contact=Contact(name="Ada", email="ada@example.com"),
)
QUALIFIED = LeadQualified(lead_id="l1", lead=SNAPSHOT, score=80, temperature="hot")


def test_every_catalogue_event_has_a_topic_a_version_and_a_unique_name() -> None:
    registry = build_registry()
    names = registry.types()
    assert len(names) == len(set(names)) >= 30
    for name in names:
        model = registry.model(name)
        assert model.topic.startswith("conveyor.") and model.topic.endswith(".v1")
        assert model.schema_version >= 1


def test_deal_outcomes_have_a_topic_of_their_own() -> None:
    registry = build_registry()
    on_deals = {name for name in registry.types() if registry.model(name).topic == DEALS}
    assert on_deals == {DealWon.event_type, DealLost.event_type}


def test_a_stored_v1_lead_qualified_is_read_back_as_the_current_version() -> None:
    v1 = {"lead_id": "l1", "lead": SNAPSHOT.model_dump(mode="json"), "score": 75}
    event = build_registry().decode(LeadQualified.event_type, 1, v1)
    assert isinstance(event, LeadQualified)
    assert LeadQualified.schema_version == 2
    assert event.temperature == "hot"
    assert event.reasons == ()


def test_a_current_version_payload_is_read_without_upcasting() -> None:
    current = LeadQualified(
        lead_id="l1", lead=SNAPSHOT, score=10, temperature="cold", reasons=("no budget",)
    )
    event = build_registry().decode(LeadQualified.event_type, 2, current.model_dump(mode="json"))
    assert event == current


def test_json_text_of_the_current_version_decodes_to_what_the_dict_path_gives() -> None:
    registry = build_registry()
    event = LeadQualified(lead_id="l1", lead=SNAPSHOT, score=80, temperature="hot", reasons=("a",))
    text = event.model_dump_json()
    for raw in (text, text.encode()):
        decoded = registry.decode_json(LeadQualified.event_type, 2, raw)
        assert decoded == registry.decode(LeadQualified.event_type, 2, json.loads(text)) == event


def test_json_text_of_an_older_version_is_upcast_before_it_is_decoded() -> None:
    registry = build_registry()
    v1 = json.dumps({"lead_id": "l1", "lead": SNAPSHOT.model_dump(mode="json"), "score": 75})
    decoded = registry.decode_json(LeadQualified.event_type, 1, v1)
    assert decoded == registry.decode(LeadQualified.event_type, 1, json.loads(v1))
    assert isinstance(decoded, LeadQualified) and decoded.score == 75


def test_an_event_decoded_again_by_id_is_the_model_decoded_the_first_time() -> None:
    registry = build_registry()
    text = QUALIFIED.model_dump_json()
    first = registry.decode_json(LeadQualified.event_type, 2, text, event_id="e1")
    again = registry.decode_json(LeadQualified.event_type, 2, text.encode(), event_id="e1")
    assert again is first  # not parsed a second time
    other = registry.decode_json(LeadQualified.event_type, 2, text, event_id="e2")
    assert other == first and other is not first
    without_id = registry.decode_json(LeadQualified.event_type, 2, text)
    assert without_id is not first


def test_a_registry_remembers_only_its_most_recent_events() -> None:
    registry = Registry(recent=2)
    registry.register(LeadQualified)
    text = QUALIFIED.model_dump_json()
    decoded = {
        event_id: registry.decode_json(LeadQualified.event_type, 2, text, event_id=event_id)
        for event_id in ("e1", "e2", "e3")
    }
    for event_id in ("e2", "e3"):
        kept = registry.decode_json(LeadQualified.event_type, 2, text, event_id=event_id)
        assert kept is decoded[event_id]
    forgotten = registry.decode_json(LeadQualified.event_type, 2, text, event_id="e1")
    assert forgotten == decoded["e1"] and forgotten is not decoded["e1"]


def test_an_id_remembered_for_another_type_is_decoded_afresh() -> None:
    registry = build_registry()
    lost = DealLost(lead_id="l1", assignment_id="a1", rep_id="r1", reason="price")
    lost_text = lost.model_dump_json()
    registry.decode_json(DealLost.event_type, DealLost.schema_version, lost_text, event_id="e1")
    text = QUALIFIED.model_dump_json()
    decoded = registry.decode_json(LeadQualified.event_type, 2, text, event_id="e1")
    assert isinstance(decoded, LeadQualified)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1, 2]", "not a JSON object|Input should be an object"),
        ("7", "not a JSON object|Input should be an object"),
        ("not json", "Expecting value|Invalid JSON"),
        ('{"lead_id": "l1"}', "validation errors? for LeadQualified"),
    ],
)
def test_json_text_that_is_not_such_a_payload_is_refused(
    version: int, text: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):  # pydantic's ValidationError is one too
        build_registry().decode_json(LeadQualified.event_type, version, text)


def test_an_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(UnknownEventType, match=r"conveyor\.nothing"):
        build_registry().decode("conveyor.nothing", 1, {})


def test_a_payload_newer_than_the_reader_is_refused() -> None:
    with pytest.raises(ValueError, match="newer"):
        build_registry().decode(LeadQualified.event_type, 3, {})


def test_a_type_cannot_be_registered_twice() -> None:
    class Thing(Event):
        event_type = "test.thing"
        topic = "test.v1"

    registry = Registry()
    registry.register(Thing)
    with pytest.raises(ValueError, match="twice"):
        registry.register(Thing)


def test_a_missing_upcaster_step_is_reported() -> None:
    class Thing(Event):
        event_type = "test.thing"
        schema_version = 3
        topic = "test.v1"

    registry = Registry()
    registry.register(Thing)
    registry.upcaster("test.thing", 1)(lambda p: p)
    with pytest.raises(LookupError, match="v2"):
        registry.decode("test.thing", 1, {})


class Verdict(EventView):
    of = LeadQualified
    lead_id: str
    score: int
    reasons: tuple[str, ...] = ()


def test_a_view_takes_its_models_name_and_version_and_reads_only_its_fields() -> None:
    assert (Verdict.event_type, Verdict.schema_version) == (LeadQualified.event_type, 2)
    text = QUALIFIED.model_copy(update={"reasons": ("budget",)}).model_dump_json()
    view = build_registry().decode_view(Verdict, 2, text)
    assert type(view) is Verdict
    assert view.model_dump() == {"lead_id": "l1", "score": 80, "reasons": ("budget",)}


def test_an_older_payload_is_upcast_and_read_whole_through_a_view() -> None:
    v1 = json.dumps({"lead_id": "l1", "lead": SNAPSHOT.model_dump(mode="json"), "score": 75})
    event = build_registry().decode_view(Verdict, 1, v1)
    assert isinstance(event, LeadQualified) and (event.score, event.temperature) == (75, "hot")


def test_a_view_is_never_handed_out_for_the_whole_event() -> None:
    registry = build_registry()
    text = QUALIFIED.model_dump_json()
    assert type(registry.decode_view(Verdict, 2, text)) is Verdict
    whole = registry.decode_json(LeadQualified.event_type, 2, text, event_id="e1")
    assert type(whole) is LeadQualified
    assert type(registry.decode_view(Verdict, 2, text)) is Verdict  # nor the reverse
    with pytest.raises(ValueError, match="Verdict is a view of LeadQualified"):
        Registry().register(Verdict)


def test_a_view_of_a_model_this_registry_does_not_have_is_refused() -> None:
    registry = Registry()
    with pytest.raises(UnknownEventType, match=r"conveyor\.lead\.qualified"):
        registry.decode_view(Verdict, 2, QUALIFIED.model_dump_json())


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"grade": (str, ...)}, "Wrong.grade is not a field of LeadQualified"),
        ({"score": (str, ...)}, "Wrong.score is <class 'str'>, but LeadQualified.score is"),
        ({"reasons": (tuple[str, ...], ...)}, "Wrong.reasons's default is not LeadQualified's"),
        ({"lead_type": (str | None, "x")}, "Wrong.lead_type's default is not"),
    ],
)
def test_a_view_must_be_a_subset_of_its_models_fields_as_they_are(
    fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(problem)):
        create_model("Wrong", __base__=Verdict, **fields)


def test_timestamps_keep_their_zone() -> None:
    moment = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert moment.isoformat().endswith("+00:00")
