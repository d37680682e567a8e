"""Idempotency-Key in receive_lead: replay the first reply, refuse a different body."""

import pytest

from conveyor.intake.domain.lead import Contact
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import receive_lead
from conveyor.intake.service_layer.idempotency import (
    IdempotencyKey,
    IdempotencyKeyReused,
    StoredReply,
)

from .fakes import FakeUnitOfWork, lead_streams

ADA = Contact("Ada Lovelace", email="ada@example.com")


def command(key: str, fingerprint: str, source: str = "website") -> ReceiveLead:
    return ReceiveLead(contact=ADA, source=source, idempotency=IdempotencyKey(key, fingerprint))


async def test_the_same_key_and_body_twice_gives_the_first_lead_and_records_one() -> None:
    uow = FakeUnitOfWork()
    first = await receive_lead(command("k1", "body-a"), uow)
    again = await receive_lead(command("k1", "body-a"), uow)
    assert (again.lead_id, again.replayed, first.replayed) == (first.lead_id, True, False)
    assert list(lead_streams(uow)) == [first.lead_id]


async def test_the_same_key_with_another_body_is_refused_and_records_nothing() -> None:
    uow = FakeUnitOfWork()
    await receive_lead(command("k1", "body-a"), uow)
    with pytest.raises(IdempotencyKeyReused):
        await receive_lead(command("k1", "body-b"), uow)
    assert len(lead_streams(uow)) == 1


async def test_keys_are_scoped_per_source() -> None:
    uow = FakeUnitOfWork()
    mine = await receive_lead(command("k1", "body-a", source="website"), uow)
    theirs = await receive_lead(command("k1", "body-a", source="call-centre"), uow)
    assert mine.lead_id != theirs.lead_id
    assert not theirs.replayed


class RacedUnitOfWork(FakeUnitOfWork):
    """A concurrent request stores its reply under the key between our read and our write."""

    def __init__(self, winner: StoredReply) -> None:
        super().__init__()
        self.winner = winner

    async def remember_reply(self, reply: StoredReply) -> None:
        self.replies[(self.winner.source_id, self.winner.key)] = self.winner
        await super().remember_reply(reply)


async def test_losing_a_race_for_the_key_answers_with_the_winners_lead_and_adds_none() -> None:
    uow = RacedUnitOfWork(StoredReply("website", "k1", "body-a", "lead-of-the-winner"))
    receipt = await receive_lead(command("k1", "body-a"), uow)
    assert (receipt.lead_id, receipt.replayed) == ("lead-of-the-winner", True)
    assert lead_streams(uow) == {}
