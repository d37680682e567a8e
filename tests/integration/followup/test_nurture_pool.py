"""The nurture pool: leads intake nurtured wait on a durable timer and go back to intake
on their recheck date; intake's next decision takes them out or puts them back."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue import FOLLOWUPS, LEADS
from conveyor.events.catalogue.followup import NurtureEnded, NurtureRecheckDue
from conveyor.events.catalogue.intake import LeadNurtured, LeadQualified
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.codec import encode
from conveyor.events.transport import OutboundMessage
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.followup.adapters.timers import SqlTimerStore
from conveyor.followup.config import Settings
from conveyor.followup.service_layer.nurture import NurturePool, batch_scope, keep, release
from conveyor.followup.service_layer.streams import Streams
from tests.support import read_topic, statements_sent

from .harness import Followup, ManualClock, eventually, settle, utc


class Intake:
    """Publishes lead decisions on conveyor.leads.v1 as intake's relay would."""

    def __init__(self, bus_url: str) -> None:
        self.transport = EmbeddedTransport.from_url(bus_url)
        self.sink = self.transport.sink()

    async def publish(self, event: Event, lead_id: str) -> Envelope:
        envelope = new_envelope(event, subject=lead_id, source="/conveyor/intake")
        await self.sink.publish([OutboundMessage(LEADS, encode(envelope))])
        return envelope

    async def nurture(self, lead_id: str, recheck_after: datetime | None) -> Envelope:
        event = LeadNurtured(
            lead_id=lead_id, reasons=("budget next quarter",), recheck_after=recheck_after
        )
        return await self.publish(event, lead_id)

    async def qualify(self, lead_id: str) -> Envelope:
        lead = LeadSnapshot(
            lead_id=lead_id, source="web", channel="form", contact=Contact(name="Ann")
        )
        event = LeadQualified(lead_id=lead_id, lead=lead, score=80, temperature="hot")
        return await self.publish(event, lead_id)


@pytest.fixture
async def intake(settings: Settings) -> AsyncIterator[Intake]:
    stand_in = Intake(settings.bus_url)
    await stand_in.sink.start()
    try:
        yield stand_in
    finally:
        await stand_in.transport.close()


async def rechecks(followup: Followup) -> list[str]:
    """The leads sent back to intake, one entry per NurtureRecheckDue in followup's log."""
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        logged = await runtime.store.read_all(conn)
    return [
        r.envelope.data.lead_id for r in logged if isinstance(r.envelope.data, NurtureRecheckDue)
    ]


async def in_pool(followup: Followup, count: int) -> None:
    async def probe() -> bool:
        return followup.service.runtime.consumers[0].stats.handled >= count

    await eventually(probe)


async def at(followup: Followup, clock: ManualClock, moment: str) -> list[str]:
    clock.set(utc(moment))
    await settle(followup)
    return await rechecks(followup)


async def test_a_nurtured_lead_goes_back_to_intake_on_its_recheck_date_once(
    followup: Followup, intake: Intake, clock: ManualClock, settings: Settings, unique_name: str
) -> None:
    nurtured = await intake.nurture("lead-1", utc("2025-04-01T09:00:00"))
    await in_pool(followup, 1)
    assert await at(followup, clock, "2025-04-01T08:59:59") == []
    assert await at(followup, clock, "2025-04-01T09:00:00") == ["lead-1"]
    assert await at(followup, clock, "2025-05-01T00:00:00") == ["lead-1"]
    transport = EmbeddedTransport.from_url(settings.bus_url)
    try:
        published = await read_topic(transport, FOLLOWUPS, 2, group=unique_name)
    finally:
        await transport.close()
    scheduled, due = published
    assert (scheduled.type, due.type) == (
        "conveyor.nurture.recheck_scheduled",
        "conveyor.nurture.recheck_due",
    )
    assert due.data == NurtureRecheckDue(lead_id="lead-1", reasons=("budget next quarter",))
    assert due.correlation_id == nurtured.correlation_id


async def test_nurtured_again_it_waits_again_and_qualified_meanwhile_it_leaves_the_pool(
    followup: Followup, intake: Intake, clock: ManualClock
) -> None:
    await intake.nurture("lead-again", utc("2025-04-01T09:00:00"))
    await intake.nurture("lead-won", utc("2025-04-01T09:00:00"))
    await in_pool(followup, 2)
    assert sorted(await at(followup, clock, "2025-04-02T00:00:00")) == ["lead-again", "lead-won"]
    await intake.nurture("lead-again", utc("2025-05-01T09:00:00"))
    await intake.qualify("lead-won")
    await in_pool(followup, 4)
    assert sorted(await at(followup, clock, "2025-06-01T00:00:00")) == [
        "lead-again",
        "lead-again",
        "lead-won",
    ]


async def test_a_lead_qualified_before_its_recheck_is_not_sent_back(
    followup: Followup, intake: Intake, clock: ManualClock
) -> None:
    await intake.nurture("lead-1", utc("2025-04-01T09:00:00"))
    await intake.qualify("lead-1")
    await in_pool(followup, 2)
    assert await at(followup, clock, "2025-06-01T00:00:00") == []


async def test_without_a_recheck_date_the_lead_waits_the_default_period(
    followup: Followup, intake: Intake, clock: ManualClock
) -> None:
    nurtured = await intake.nurture("lead-1", None)
    await in_pool(followup, 1)
    clock.set(nurtured.time + timedelta(days=29, hours=23))
    await settle(followup)
    assert await rechecks(followup) == []
    clock.set(nurtured.time + timedelta(days=30, seconds=1))
    await settle(followup)
    assert await rechecks(followup) == ["lead-1"]


async def test_a_lead_never_nurtured_costs_one_read_when_intake_decides(
    followup: Followup, clock: ManualClock
) -> None:
    runtime = followup.service.runtime
    pool = NurturePool(
        streams=Streams(runtime.store, runtime.writer, runtime.source, clock.now),
        timers=SqlTimerStore(),
        committed=runtime.committed,
    )
    lead = LeadSnapshot(lead_id="lead-new", source="web", channel="form", contact=Contact(name="A"))
    qualified = new_envelope(
        LeadQualified(lead_id="lead-new", lead=lead, score=80, temperature="hot"),
        subject="lead-new",
        source="/conveyor/intake",
    )
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sync_engine = runtime.engine.sync_engine
    async with runtime.engine.begin() as conn:
        head = await runtime.store.head(conn)
        event.listen(sync_engine, "before_cursor_execute", count)
        try:
            await release(qualified, conn, pool=pool)
        finally:
            event.remove(sync_engine, "before_cursor_execute", count)
        assert await runtime.store.head(conn) == head  # nothing recorded
    assert len(statements) == 1, statements


async def test_a_batch_asks_once_which_of_its_decided_leads_were_ever_in_the_pool(
    followup: Followup, clock: ManualClock
) -> None:
    """As the consumer applies a batch: one statement for all its leads, not a read per
    lead; a lead nurtured and qualified within the batch still leaves the pool."""
    runtime = followup.service.runtime
    pool = NurturePool(
        streams=Streams(runtime.store, runtime.writer, runtime.source, clock.now),
        timers=SqlTimerStore(),
        committed=runtime.committed,
    )

    def from_intake(event: Event) -> Envelope:
        return new_envelope(event, subject=event.lead_id, source="/conveyor/intake")

    def decided(lead_id: str) -> Envelope:
        contact = Contact(name="A")
        lead = LeadSnapshot(lead_id=lead_id, source="web", channel="form", contact=contact)
        return from_intake(LeadQualified(lead_id=lead_id, lead=lead, score=80, temperature="hot"))

    async def apply(batch: list[Envelope]) -> list[str]:
        """The statements the batch sends, applied as the consumer applies one."""
        async with runtime.engine.begin() as conn:
            with statements_sent(runtime.engine) as sent:
                async with batch_scope(conn, batch, pool=pool):
                    for envelope in batch:
                        handle = keep if isinstance(envelope.data, LeadNurtured) else release
                        await handle(envelope, conn, pool=pool)
        return sent

    def nurtured_then_qualified(lead_id: str) -> list[Envelope]:
        nurtured = LeadNurtured(lead_id=lead_id, reasons=("later",), recheck_after=None)
        return [from_intake(nurtured), decided(lead_id)]

    many = await apply([*(decided(f"lead-{n}") for n in range(5)), *nurtured_then_qualified("y")])
    alone = await apply(nurtured_then_qualified("z"))
    for sent in (many, alone):
        assert sum("DISTINCT events.stream_id" in s for s in sent) == 1, sent
    reads = [sum("max(events.version)" in s for s in sent) for sent in (many, alone)]
    assert reads[0] == reads[1], "the five leads never nurtured cost a read each"
    async with runtime.engine.connect() as conn:
        others = await runtime.store.existing(conn, [f"nurture-lead-{n}" for n in range(5)])
        ends = [await pool.streams.last(conn, f"nurture-{lead}") for lead in ("y", "z")]
    assert others == set()
    assert all(isinstance(end, NurtureEnded) for end in ends)
