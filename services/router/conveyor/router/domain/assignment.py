"""A lead's assignment as the router sees it: offered to a rep, then won or lost."""

from __future__ import annotations

from dataclasses import dataclass


class AssignmentError(Exception):
    """A command that the assignment's state does not allow."""


@dataclass(frozen=True)
class Assignment:
    """The state of one assignment, folded from the lead's stream."""

    assignment_id: str
    lead_id: str
    rep_id: str
    status: str = "offered"

    def check_can_close(self) -> None:
        """Raise unless the assignment is still open (a deal is closed once)."""
        if self.status in ("won", "lost"):
            raise AssignmentError(f"assignment {self.assignment_id} is already {self.status}")
