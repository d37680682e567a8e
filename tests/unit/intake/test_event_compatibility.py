"""Verdict events stay readable by consumers written before checklists (the router)."""

from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.intake import LeadQualified

V2_WITHOUT_CHECKLIST = {
    "lead_id": "lead-1",
    "lead": {"lead_id": "lead-1", "source": "web", "channel": "web_form", "contact": {"name": "A"}},
    "score": 70,
    "temperature": "hot",
    "reasons": ["has an e-mail address"],
}


def test_a_lead_qualified_from_before_checklists_decodes_with_defaults() -> None:
    event = build_registry().decode(LeadQualified.event_type, 2, V2_WITHOUT_CHECKLIST)
    assert isinstance(event, LeadQualified)
    assert (event.checklist_version, event.lead_type, event.qualified_by) == (
        None,
        None,
        "checklist",
    )


def test_a_lead_qualified_with_checklist_fields_keeps_what_the_router_reads() -> None:
    payload = {**V2_WITHOUT_CHECKLIST, "checklist_version": 3, "lead_type": "ready_to_buy"}
    event = build_registry().decode(LeadQualified.event_type, 2, payload)
    assert isinstance(event, LeadQualified)
    assert (event.lead_id, event.lead.lead_id, event.score, event.temperature) == (
        "lead-1",
        "lead-1",
        70,
        "hot",
    )
    assert event.checklist_version == 3
