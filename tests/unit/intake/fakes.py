"""Fakes of intake's own ports."""

from collections import Counter
from collections.abc import Sequence

from conveyor.events import Envelope
from conveyor.events.catalogue.intake import (
    LeadConverted,
    LeadDisqualified,
    LeadNurtured,
    LeadQualified,
    LeadReceived,
)
from conveyor.events.store import ANY_VERSION, ConcurrencyError
from conveyor.intake.domain.duplicates import EarlierLead, PersonKeys
from conveyor.intake.service_layer.idempotency import ReplyAlreadyStored, StoredReply
from conveyor.intake.service_layer.rate_limits import Admission, Hit
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


class FakeUnitOfWork(AbstractUnitOfWork):
    """Streams and replies in dicts; appends and replies become visible only on commit."""

    def __init__(self) -> None:
        self.source = "/conveyor/intake-test"
        self.streams: dict[str, list[Envelope]] = {}
        """Every committed stream (leads, sources, the checklist) by id."""
        self.replies: dict[tuple[str, str], StoredReply] = {}
        self.commits = 0
        self.hits: Counter[tuple[str, int]] = Counter()
        """Requests counted (committed) per key id and window."""
        self._pending: list[tuple[str, list[Envelope]]] = []
        self._pending_replies: list[StoredReply] = []
        self._pending_hits: Counter[tuple[str, int]] = Counter()

    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> None:
        current = len(self.streams.get(stream_id, []))
        if expected_version != ANY_VERSION and current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        self._pending.append((stream_id, list(envelopes)))

    async def read(self, stream_id: str) -> list[Envelope]:
        return list(self.streams.get(stream_id, []))

    async def earlier_lead(self, keys: PersonKeys) -> EarlierLead | None:
        found = [
            EarlierLead(e.data.lead_id, matched_on, e.data.received_at, _outcome(stream))
            for stream in self.streams.values()
            for e in stream[:1]
            if isinstance(e.data, LeadReceived) and (matched_on := _matched(e.data, keys))
        ]
        return max(found, key=lambda lead: lead.received_at, default=None)

    async def count_requests(self, hits: Sequence[Hit]) -> list[Admission]:
        admitted: list[Admission] = []
        for hit in hits:
            self._pending_hits[hit.key_id, hit.window] += 1
            place = self.hits[hit.key_id, hit.window] + self._pending_hits[hit.key_id, hit.window]
            admitted.append(hit.at_place(place))
        return admitted

    async def earlier_reply(self, source_id: str, key: str) -> StoredReply | None:
        return self.replies.get((source_id, key))

    async def remember_reply(self, reply: StoredReply) -> None:
        if (reply.source_id, reply.key) in self.replies:
            raise ReplyAlreadyStored(reply.key)
        self._pending_replies.append(reply)

    async def commit(self) -> None:
        for stream_id, envelopes in self._pending:
            self.streams.setdefault(stream_id, []).extend(envelopes)
        for reply in self._pending_replies:
            self.replies[(reply.source_id, reply.key)] = reply
        self.hits.update(self._pending_hits)
        self._pending.clear()
        self._pending_replies.clear()
        self._pending_hits.clear()
        self.commits += 1

    async def rollback(self) -> None:
        self._pending.clear()
        self._pending_replies.clear()
        self._pending_hits.clear()


def _matched(received: LeadReceived, keys: PersonKeys) -> str:
    theirs = PersonKeys.of(received.lead.contact.email, received.lead.contact.phone)
    if keys.email and theirs.email == keys.email:
        return "email"
    return "phone" if keys.phone and theirs.phone == keys.phone else ""


def lead_streams(uow: FakeUnitOfWork) -> dict[str, list[Envelope]]:
    """The committed streams that are leads' (not the checklist's or a source's)."""
    return {
        stream_id: events
        for stream_id, events in uow.streams.items()
        if events and getattr(events[0].data, "lead_id", None) == stream_id
    }


OUTCOMES = {LeadQualified: "qualified", LeadNurtured: "nurtured", LeadDisqualified: "disqualified"}


def _outcome(stream: list[Envelope]) -> str:
    if any(isinstance(e.data, LeadConverted) for e in stream):
        return "customer"
    verdicts = [OUTCOMES[type(e.data)] for e in stream if type(e.data) in OUTCOMES]
    return verdicts[-1] if verdicts else "received"
