"""The consumer runner on every transport and database: effectively once, poison to DLQ."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.events.catalogue.topics import dead_letter_topic
from conveyor.events.codec import WireMessage, decode, encode
from conveyor.events.consumer import Consumer
from conveyor.events.store import EventStore
from conveyor.events.transport import MessageSink, MessageSource, OutboundMessage, Transport
from conveyor.events.transport.base import InboundMessage
from tests.support import wait_until

effects = Table("effects", MetaData(), Column("event_id", String(36)), Column("rep", String(50)))


def event(rep: str) -> Envelope:
    return new_envelope(
        RepAvailabilityChanged(rep_id=rep, available=True), subject=rep, source="/test"
    )


async def record_effect(envelope: Envelope, conn: AsyncConnection) -> None:
    await conn.execute(insert(effects).values(event_id=envelope.id, rep=envelope.subject))


def consumer_of(
    group: str,
    source: MessageSource,
    sink: MessageSink,
    engine: AsyncEngine,
    handlers: Mapping[str, Callable[[Envelope, AsyncConnection], Awaitable[None]]],
    **options: Any,
) -> Consumer:
    """A consumer of the group reading source, dead-lettering to sink, retrying quickly."""
    return Consumer(
        group=group,
        source=source,
        dead_letters=sink,
        engine=engine,
        registry=build_registry(),
        handlers=handlers,
        retry_delay=0.01,
        **options,
    )


async def started_sink(
    transport: Transport, engine: AsyncEngine, topic: str, group: str
) -> MessageSink:
    """A started sink, with the effects table made and the topic and the group's dead-letter
    topic created."""
    async with engine.begin() as conn:
        await conn.run_sync(effects.metadata.create_all)
    await transport.ensure_topics([topic, dead_letter_topic(group)])
    sink = transport.sink()
    await sink.start()
    return sink


async def run_consumer(
    transport: Transport,
    engine: AsyncEngine,
    topic: str,
    group: str,
    messages: list[WireMessage],
    handlers: Mapping[str, Callable[[Envelope, AsyncConnection], Awaitable[None]]],
    done: Callable[[Consumer], bool],
) -> Consumer:
    sink = await started_sink(transport, engine, topic, group)
    await sink.publish([OutboundMessage(topic, m) for m in messages])
    source = transport.source(topics=[topic], group=group)
    await source.start()
    consumer = consumer_of(group, source, sink, engine, handlers)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await wait_until(lambda: done(consumer), what="consumer progress")
    finally:
        stop.set()
        await task
        await source.stop()
        await sink.stop()
    return consumer


async def count_effects(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(effects))).scalar_one())


async def dead_letters(transport: Transport, group: str, count: int) -> list[WireMessage]:
    source = transport.source(topics=[dead_letter_topic(group)], group=f"{group}.reader")
    await source.start()
    got: list[WireMessage] = []
    try:
        async with asyncio.timeout(60):
            while len(got) < count:
                got += [m.message for m in await source.fetch(max_messages=10, max_wait=0.5)]
    finally:
        await source.stop()
    return got


async def test_the_same_event_delivered_twice_has_one_effect(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    twice = encode(event("rep-1"))
    consumer = await run_consumer(
        transport,
        engine,
        f"{unique_name}.t",
        unique_name,
        [twice, twice],
        {RepAvailabilityChanged.event_type: record_effect},
        lambda c: c.stats.handled + c.stats.duplicates == 2,
    )
    assert (consumer.stats.handled, consumer.stats.duplicates) == (1, 1)
    assert await count_effects(engine) == 1


async def test_a_malformed_message_is_dead_lettered_and_the_next_one_handled(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    poison_type = (("ce_type", b"conveyor.rep.availability_changed"),)
    poison = WireMessage(b"rep-1", b"{not json", poison_type)
    good = encode(event("rep-2"))
    consumer = await run_consumer(
        transport,
        engine,
        f"{unique_name}.t",
        unique_name,
        [poison, good],
        {RepAvailabilityChanged.event_type: record_effect},
        lambda c: c.stats.handled == 1,
    )
    assert consumer.stats.dead_lettered == 1
    assert await count_effects(engine) == 1
    [letter] = await dead_letters(transport, unique_name, 1)
    headers = dict(letter.headers)
    assert letter.value == b"{not json"
    assert headers["dlq_error"].startswith(b"malformed")
    assert headers["dlq_topic"] == f"{unique_name}.t".encode()
    assert headers["dlq_consumer"] == unique_name.encode()


async def test_a_handler_that_keeps_failing_is_dead_lettered_and_rolled_back(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    async def fails_for_rep_1(envelope: Envelope, conn: AsyncConnection) -> None:
        await record_effect(envelope, conn)
        if envelope.subject == "rep-1":
            raise RuntimeError("cannot handle rep-1")

    consumer = await run_consumer(
        transport,
        engine,
        f"{unique_name}.t",
        unique_name,
        [encode(event("rep-1")), encode(event("rep-2"))],
        {RepAvailabilityChanged.event_type: fails_for_rep_1},
        lambda c: c.stats.handled == 1,
    )
    assert consumer.stats.dead_lettered == 1
    async with engine.connect() as conn:
        assert [r.rep for r in await conn.execute(select(effects))] == ["rep-2"]
    [letter] = await dead_letters(transport, unique_name, 1)
    assert b"cannot handle rep-1" in dict(letter.headers)["dlq_error"]


async def test_events_without_a_handler_are_passed_over(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    consumer = await run_consumer(
        transport,
        engine,
        f"{unique_name}.t",
        unique_name,
        [encode(event("rep-1"))],
        {},
        lambda c: c.stats.ignored == 1,
    )
    assert consumer.stats.handled == 0 and await count_effects(engine) == 0


async def fetched(transport: Transport, topic: str, group: str, count: int) -> list[Any]:
    """Publish nothing; read the topic's first ``count`` messages as one batch."""
    source = transport.source(topics=[topic], group=group)
    await source.start()
    got: list[Any] = []
    async with asyncio.timeout(60):
        while len(got) < count:
            got += await source.fetch(max_messages=count, max_wait=0.5)
    return [source, got]


async def published_and_fetched(
    transport: Transport, engine: AsyncEngine, group: str, messages: list[WireMessage]
) -> list[Any]:
    """[sink, source, batch]: the effects table made, the messages published on the group's
    topic and read back as one batch (the sink left started, for dead letters)."""
    topic = f"{group}.t"
    sink = await started_sink(transport, engine, topic, group)
    await sink.publish([OutboundMessage(topic, m) for m in messages])
    return [sink, *await fetched(transport, topic, group, len(messages))]


async def test_a_batch_is_applied_in_one_transaction_and_rolled_back_whole_on_a_failure(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    first, second = encode(event("rep-1")), encode(event("rep-2"))
    poison, last = encode(event("rep-poison")), encode(event("rep-3"))
    sent = [first, second, first, poison, last]
    sink, source, batch = await published_and_fetched(transport, engine, unique_name, sent)
    rollbacks: list[int] = []
    scoped: list[list[str]] = []

    @asynccontextmanager
    async def scope(conn: AsyncConnection, envelopes: Sequence[Envelope]) -> AsyncIterator[None]:
        """Writes a row as it is left: committed with the batch, or rolled back with it."""
        scoped.append([e.subject for e in envelopes])
        yield
        await conn.execute(insert(effects).values(event_id=f"scope-{len(scoped)}", rep="scope"))

    async def fails_for_poison(envelope: Envelope, conn: AsyncConnection) -> None:
        await record_effect(envelope, conn)
        if envelope.subject == "rep-poison":
            raise RuntimeError("cannot handle it")

    consumer = consumer_of(
        unique_name,
        source,
        sink,
        engine,
        {RepAvailabilityChanged.event_type: fails_for_poison},
        on_rollback=lambda: rollbacks.append(1),
        batch_scope=scope,
    )
    try:
        early = [m for m in batch if m.message.value in (first.value, second.value)]
        await consumer.process(early)  # rep-1, rep-2 and rep-1 again
        assert rollbacks == []
        assert (consumer.stats.handled, consumer.stats.duplicates) == (2, 1)
        assert scoped == [["rep-1", "rep-2"]]  # the events the batch applies, once each
        await consumer.process(batch)  # all five again: the poison fails the batch
        assert len(rollbacks) == 1
        # applied one by one: three duplicates, the poison dead-lettered, rep-3 once
        assert (consumer.stats.handled, consumer.stats.duplicates) == (3, 4)
        assert consumer.stats.dead_lettered == 1
        async with engine.connect() as conn:
            reps = sorted(r.rep for r in await conn.execute(select(effects)))
        # the scope was left in the first batch's transaction; the second's rolled back
        assert reps == ["rep-1", "rep-2", "rep-3", "scope"]
    finally:
        await source.stop()
        await sink.stop()


async def test_only_a_commit_that_appended_events_wakes_the_relay_and_the_workers(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    reps = ["rep-1", "rep-2", "rep-3", "appends-4", "appends-5", "rep-6"]
    sent = [encode(event(rep)) for rep in reps]
    sink, source, got = await published_and_fetched(transport, engine, unique_name, sent)
    batch = sorted(got, key=lambda m: reps.index(decode(m.message, build_registry()).subject))
    store = EventStore(build_registry())
    woken: list[int] = []

    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        await record_effect(envelope, conn)
        if envelope.subject.startswith("appends"):
            stream = f"{unique_name}-{envelope.subject}"
            change = RepAvailabilityChanged(rep_id=stream, available=False)
            appended = [new_envelope(change, subject=stream, source="/test")]
            await store.append(conn, stream, appended, expected_version=0)

    consumer = consumer_of(
        unique_name,
        source,
        sink,
        engine,
        {RepAvailabilityChanged.event_type: handle},
        after_commit=lambda: woken.append(1),
    )
    try:
        await consumer.process(batch[:2])  # a batch writing read models only
        assert len(woken) == 0 and await count_effects(engine) == 2
        await consumer.process(batch[2:4])  # a batch appending an event
        assert len(woken) == 1
        await consumer.process(batch[4:5])  # one message, its own transaction: appends
        assert len(woken) == 2
        await consumer.process(batch[5:])  # one message that appends nothing
        assert len(woken) == 2 and await count_effects(engine) == len(reps)
    finally:
        await source.stop()
        await sink.stop()


class Counted(MessageSource):
    """A real source whose fetched messages are counted (the consumer's fetches observed)."""

    def __init__(self, inner: MessageSource) -> None:
        self.inner, self.fetched = inner, 0

    async def fetch(self, *, max_messages: int, max_wait: float) -> list[InboundMessage]:
        got = await self.inner.fetch(max_messages=max_messages, max_wait=max_wait)
        self.fetched += len(got)
        return got

    async def commit(self, messages: Sequence[InboundMessage]) -> None:
        await self.inner.commit(messages)

    async def rewind(self) -> None:
        await self.inner.rewind()


@dataclass
class Lingering:
    """A consumer that lingers, running in the background: how to publish a rep's event to
    it, its counted source, the batches it applied, and its run's stop and task."""

    publish: Callable[[str], Awaitable[None]]
    source: Counted
    batches: list[list[str]]
    stop: asyncio.Event
    task: asyncio.Task[None]


@asynccontextmanager
async def lingering(
    transport: Transport, engine: AsyncEngine, group: str, *, linger: float, batch_size: int
) -> AsyncIterator[Lingering]:
    """A consumer with ``linger`` (its source too) running in the background; stopped on the
    way out."""
    topic = f"{group}.t"
    sink = await started_sink(transport, engine, topic, group)
    source = Counted(transport.source(topics=[topic], group=group, linger=linger))
    await source.inner.start()
    batches: list[list[str]] = []

    async def apply_all(envelopes: Sequence[Envelope], conn: AsyncConnection) -> None:
        batches.append([e.subject for e in envelopes])
        for envelope in envelopes:
            await record_effect(envelope, conn)

    async def publish(rep: str) -> None:
        await sink.publish([OutboundMessage(topic, encode(event(rep)))])

    handlers = {RepAvailabilityChanged.event_type: record_effect}
    consumer = consumer_of(
        group, source, sink, engine, handlers, handle_all=apply_all, linger=linger
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop, batch_size=batch_size))
    try:
        yield Lingering(publish, source, batches, stop, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await source.inner.stop()
        await sink.stop()


async def test_a_lingering_consumer_applies_what_comes_within_its_linger_as_one_batch(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    async with lingering(transport, engine, unique_name, linger=60, batch_size=3) as run:
        for n, rep in enumerate(["rep-1", "rep-2", "rep-3"], 1):
            await run.publish(rep)  # each fetched before the next is published
            await wait_until(lambda n=n: run.source.fetched == n, what=f"{rep} fetched")
        # full at three: applied at once, not a minute later
        await wait_until(lambda: bool(run.batches), what="the batch applied")
    assert run.batches == [["rep-1", "rep-2", "rep-3"]]
    assert await count_effects(engine) == 3


async def test_a_consumer_stopped_while_it_lingers_applies_what_it_has_and_stops(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    async with lingering(transport, engine, unique_name, linger=600, batch_size=3) as run:
        await run.publish("rep-1")
        await wait_until(lambda: run.source.fetched == 1, what="rep-1 fetched")
        assert run.batches == []  # waiting for more
        run.stop.set()
        await asyncio.wait_for(run.task, 30)  # not the ten minutes it would linger
    assert run.batches == [["rep-1"]]
    assert await count_effects(engine) == 1
