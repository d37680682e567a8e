"""Dead letters listed and replayed on every transport: the failing group applies the
replayed event once the cause is fixed; a group that handled it already does not again."""

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events import Envelope
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.events.codec import encode
from conveyor.events.dead_letters import pending, replay
from conveyor.events.transport import Transport
from tests.contract.test_consumer import count_effects, event, record_effect, run_consumer

broken = {"on": True}


async def sometimes_broken(envelope: Envelope, conn: AsyncConnection) -> None:
    if broken["on"]:
        raise RuntimeError("the rep directory is down")
    await record_effect(envelope, conn)


async def test_a_replayed_dead_letter_is_applied_once_by_the_group_that_failed(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    topic, failing = f"{unique_name}.t", f"{unique_name}.failing"
    message = encode(event("rep-1"))
    handlers = {RepAvailabilityChanged.event_type: sometimes_broken}
    broken["on"] = True
    first = await run_consumer(
        transport, engine, topic, failing, [message], handlers, lambda c: c.stats.dead_lettered == 1
    )
    assert first.stats.handled == 0

    [letter] = await pending(transport, failing, max_wait=0.5)
    assert letter.topic == topic and "the rep directory is down" in letter.error
    assert letter.event_type == RepAvailabilityChanged.event_type
    broken["on"] = False
    assert [r.event_id for r in await replay(transport, failing, max_wait=0.5)] == [letter.event_id]
    assert await pending(transport, failing, max_wait=0.5) == []

    second = await run_consumer(
        transport, engine, topic, failing, [], handlers, lambda c: c.stats.handled == 1
    )
    assert second.stats.dead_lettered == 0
    assert await count_effects(engine) == 1


async def test_a_group_that_handled_the_event_passes_the_replay_over(
    transport: Transport, engine: AsyncEngine, unique_name: str
) -> None:
    topic, failing, healthy = (f"{unique_name}.{x}" for x in ("t", "failing", "healthy"))
    handlers = {RepAvailabilityChanged.event_type: sometimes_broken}
    broken["on"] = True
    await run_consumer(
        transport,
        engine,
        topic,
        failing,
        [encode(event("rep-1"))],
        handlers,
        lambda c: c.stats.dead_lettered == 1,
    )
    broken["on"] = False
    await run_consumer(
        transport,
        engine,
        topic,
        healthy,
        [],
        {RepAvailabilityChanged.event_type: record_effect},
        lambda c: c.stats.handled == 1,
    )
    await replay(transport, failing, max_wait=0.5)
    again = await run_consumer(
        transport,
        engine,
        topic,
        healthy,
        [],
        {RepAvailabilityChanged.event_type: record_effect},
        lambda c: c.stats.duplicates == 1,
    )
    assert again.stats.handled == 0
    assert await count_effects(engine) == 1
