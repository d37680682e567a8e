"""A lead's assignment as the read model shows it: who has it and how far it went."""

from __future__ import annotations

from dataclasses import dataclass

from conveyor.router.domain.offers import AssignmentError

__all__ = ["Assignment", "AssignmentError"]


@dataclass(frozen=True)
class Assignment:
    """One assignment's row: the lead, the rep and the status."""

    assignment_id: str
    lead_id: str
    rep_id: str
    status: str = "offered"
