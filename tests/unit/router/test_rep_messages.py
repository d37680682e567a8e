"""What reps' apps are told: one message per event a rep must hear of, of the kind its
app expects, and none for the rest of the log (which the delivery queue then passes over
without decoding: ``TOLD``)."""

from datetime import UTC, datetime

from conveyor.events import Event, Recorded, new_envelope
from conveyor.events.catalogue.delivery import LeadContacted, LeadReminded, TeamLeadNotified
from conveyor.events.catalogue.router import (
    LeadAccepted,
    LeadAssigned,
    LeadReassigned,
    LeadSlaBreached,
    WebhookDelivered,
)
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.router.service_layer.messages import TOLD, messages_for

DUE = datetime(2026, 11, 24, 9, tzinfo=UTC)
LEAD = LeadSnapshot(lead_id="l1", source="web", channel="web_form", contact=Contact(name="Ada"))
WORK = {"lead_id": "l1", "assignment_id": "a1", "rep_id": "ana"}


def recorded(event: Event) -> Recorded:
    return Recorded(new_envelope(event, subject="l1", source="/conveyor/router"), "l1", 1, 7)


TOLD_OF: list[tuple[Event, list[tuple[str, str]]]] = [
    (
        LeadAssigned(
            **WORK, pool="p", rule="r", policy_version=1, explanation="why", rotation=0, lead=LEAD
        ),
        [("ana", "lead.assigned")],
    ),
    (
        LeadReassigned(
            lead_id="l1", assignment_id="a1", from_rep_id="ana", to_rep_id="ben", reason="no answer"
        ),
        [("ana", "lead.withdrawn")],
    ),
    (LeadReminded(**WORK, sla="accept", step=1, due=DUE), [("ana", "lead.reminder")]),
    (
        TeamLeadNotified(**WORK, sla="accept", step=2, due=DUE, team_leads=("tl1", "tl2")),
        [("tl1", "lead.escalated"), ("tl2", "lead.escalated")],
    ),
]
NOT_TOLD: list[Event] = [
    LeadAccepted(lead_id="l1", assignment_id="a1", rep_id="ana"),
    LeadContacted(**WORK, contacted_at=DUE),
    LeadSlaBreached(lead_id="l1", assignment_id="a1", rep_id="ana", due=DUE),
    WebhookDelivered(
        lead_id="l1",
        assignment_id="a1",
        rep_id="ana",
        message_id="m1",
        url="https://app.example",
        status_code=200,
        attempt=1,
    ),
    LeadReassigned(lead_id="l1", from_rep_id="ana", to_rep_id="", reason="nobody"),
]


def test_each_event_a_rep_hears_of_makes_its_messages_and_its_type_is_told() -> None:
    for event, expected in TOLD_OF:
        messages = messages_for(recorded(event), "https://conveyor.example")
        assert [(m.endpoint_id, m.kind) for m in messages] == expected
        assert all(m.position == 7 and m.subject_id == "l1" for m in messages)
        assert event.event_type in TOLD


def test_the_rest_of_the_log_makes_no_message() -> None:
    for event in NOT_TOLD:
        assert messages_for(recorded(event), "https://conveyor.example") == []
    assert {event.event_type for event, _ in TOLD_OF} == TOLD
