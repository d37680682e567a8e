"""How much a rep holds: leads open and leads offered over time (for the caps)."""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import datetime, timedelta

KEEP = timedelta(days=8)  # enough history for a weekly cap in any time zone


@dataclass
class RepLoad:
    """Open (unaccepted, undecided) leads and the times leads were offered."""

    open_leads: set[str] = field(default_factory=set)
    offered: list[datetime] = field(default_factory=list)

    def offer(self, lead_id: str, at: datetime) -> None:
        """Count an offer."""
        self.open_leads.add(lead_id)
        insort(self.offered, at)
        cut = bisect_left(self.offered, at - KEEP)
        del self.offered[:cut]

    def close(self, lead_id: str) -> None:
        """The lead is no longer open (accepted, declined, won, lost, moved)."""
        self.open_leads.discard(lead_id)

    def offered_between(self, start: datetime, end: datetime) -> int:
        """Offers in [start, end)."""
        return bisect_left(self.offered, end) - bisect_left(self.offered, start)
