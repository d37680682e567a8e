"""A fake of the router's unit of work: streams and a log in memory, the state folded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz

from conveyor.events import Envelope, Recorded, new_envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.router import (
    DealLost,
    DealWon,
    LeadAccepted,
    LeadAssigned,
    LeadDeclined,
    LeadReassigned,
)
from conveyor.events.catalogue.values import Contact, LeadSnapshot, Location
from conveyor.events.store import ConcurrencyError
from conveyor.router.domain.assignment import Assignment
from conveyor.router.domain.state import RoutingState
from conveyor.router.service_layer.folding import fold
from conveyor.router.service_layer.ports import AccountMatching, RepView, UnitOfWork

ENDINGS: dict[type, str] = {
    LeadAccepted: "accepted",
    DealWon: "won",
    DealLost: "lost",
    LeadDeclined: "declined",
    LeadReassigned: "withdrawn",
}
MATCHING = AccountMatching(lambda a, b: float(fuzz.token_sort_ratio(a, b)), 90.0)
SOURCE = "/conveyor/router"


class FakeUnitOfWork(UnitOfWork):
    """Every append lands in one log; the routing state folds it like the real cache."""

    def __init__(self) -> None:
        self.log: list[Recorded] = []
        self.state = RoutingState()
        self.folded = 0
        self.secrets: dict[str, list[str]] = {}

    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> list[Recorded]:
        current = len(await self.stream(stream_id))
        if current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        recorded = [
            Recorded(env, stream_id, current + n, len(self.log) + n)
            for n, env in enumerate(envelopes, 1)
        ]
        self.log += recorded
        return recorded

    async def stream(self, stream_id: str) -> list[Recorded]:
        return [r for r in self.log if r.stream_id == stream_id]

    async def routing_state(self) -> RoutingState:
        for recorded in self.log[self.folded :]:
            fold(self.state, recorded.envelope)
        self.folded = len(self.log)
        return self.state

    async def rep(self, rep_id: str) -> RepView | None:
        return None

    async def assignment(self, assignment_id: str) -> Assignment | None:
        found: Assignment | None = None
        for recorded in self.log:
            data = recorded.envelope.data
            if getattr(data, "assignment_id", None) != assignment_id:
                continue
            if isinstance(data, LeadAssigned):
                found = Assignment(assignment_id, data.lead_id, data.rep_id)
            elif found is not None and type(data) in ENDINGS:
                found = Assignment(assignment_id, found.lead_id, found.rep_id, ENDINGS[type(data)])
        return found

    async def add_webhook_secret(
        self, rep_id: str, secret_id: str, secret: str, *, now: datetime, retire_at: datetime
    ) -> bool:
        had = bool(self.secrets.get(rep_id))
        self.secrets.setdefault(rep_id, []).append(secret)
        return had

    def envelopes(self) -> list[Envelope]:
        """The log's envelopes in order."""
        return [r.envelope for r in self.log]


def qualified(
    lead_id: str,
    *,
    country: str = "DE",
    company: str | None = None,
    email: str | None = None,
    **verdict: Any,
) -> Envelope:
    """A LeadQualified envelope from intake."""
    lead = LeadSnapshot(
        lead_id=lead_id,
        source="web",
        channel="web_form",
        contact=Contact(name=f"Lead {lead_id}", company=company, email=email),
        location=Location(country=country),
    )
    event = LeadQualified.model_validate(
        {"lead_id": lead_id, "lead": lead, "score": 80, "temperature": "hot", **verdict}
    )
    return new_envelope(event, subject=lead_id, source="/conveyor/intake")


class Clock:
    """A clock the test moves."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward; return the new time."""
        self.now += timedelta(**delta)
        return self.now
