"""Offers in flight: who holds each lead, since when, how far its SLA ladders have gone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

NO_STEPS: Mapping[str, int] = MappingProxyType({})

OPEN = ("offered", "accepted", "contacted", "meeting_set")
CLOSED = ("won", "lost", "declined", "withdrawn")


class AssignmentError(Exception):
    """A command that the assignment's state does not allow."""


@dataclass(slots=True)  # one per open offer: thousands held
class Offer:
    """One assignment of a lead to a rep, folded from the lead's stream."""

    assignment_id: str
    lead_id: str
    rep_id: str
    offered_at: datetime
    sla: Mapping[str, Any] | None = None
    status: str = "offered"
    accepted_at: datetime | None = None
    # per SLA ladder, the steps taken; shared while none is (replaced, never changed)
    done: Mapping[str, int] = field(default_factory=lambda: NO_STEPS)

    @property
    def clock(self) -> tuple[str, datetime] | None:
        """The SLA clock running now ("accept" from the offer, "contact" from the accept)."""
        if self.status == "offered":
            return "accept", self.offered_at
        if self.status == "accepted" and self.accepted_at is not None:
            return "contact", self.accepted_at
        return None

    def check_open(self) -> None:
        """Raise unless the assignment is still open."""
        if self.status in CLOSED:
            raise AssignmentError(f"assignment {self.assignment_id} is already {self.status}")

    def check_can_report(self, outcome: str) -> None:
        """Raise unless the outcome moves the lead forward (contacted after offered or
        accepted, a meeting after that; lost from any open state)."""
        self.check_open()
        if outcome in OPEN and OPEN.index(self.status) >= OPEN.index(outcome):
            raise AssignmentError(f"assignment {self.assignment_id} is already {self.status}")

    def check_offered(self) -> None:
        """Raise unless the lead is offered and not yet taken."""
        self.check_open()
        if self.status != "offered":
            raise AssignmentError(f"assignment {self.assignment_id} is already {self.status}")


@dataclass(slots=True)
class Waiting:
    """A lead with no accepted owner yet: since when, and whether that was alerted."""

    since: datetime
    alerted: bool = False
