"""Where the qualification checklists are kept, and how a published version reads."""

from __future__ import annotations

from conveyor.events import Envelope
from conveyor.events.catalogue.intake import QualificationChecklistPublished
from conveyor.intake.domain.checklist import Checklist

CHECKLIST_STREAM = "qualification-checklist"


def checklist_of(envelope: Envelope) -> Checklist | None:
    """The checklist a QualificationChecklistPublished carries (None for any other event)."""
    published = envelope.data
    if not isinstance(published, QualificationChecklistPublished):
        return None
    return Checklist.from_dict({**published.checklist, "version": published.version})
