"""Consumer lag on /metrics over real Kafka: it grows while a group is held up, falls to zero
once it catches up, and a replica reports only the partitions it reads after a rebalance."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.codec import WireMessage, encode
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import create_engine, event_store_metadata
from conveyor.events.transport import OutboundMessage
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
PARTITIONS = 4


@pytest.fixture
async def database(postgres_server: Any, unique_name: str) -> str:
    url = str(postgres_server.create_database(unique_name))
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    await engine.dispose()
    return url


def replica(url: str, bus_url: str, topic: str, group: str, gate: asyncio.Event) -> Runtime:
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        await gate.wait()

    transport = KafkaTransport.from_url(bus_url, partitions=PARTITIONS)
    runtime = Runtime(name="probe", engine=create_engine(url), transport=transport)
    runtime.subscribe(Subscription(group, [topic], {LeadReceived.event_type: handle}))
    return runtime


async def publish(bus_url: str, topic: str, count: int) -> None:
    sink = KafkaTransport.from_url(bus_url).sink()
    await sink.start()
    await sink.publish([OutboundMessage(topic, _lead(n)) for n in range(count)])
    await sink.stop()


def _lead(n: int) -> WireMessage:
    lead = LeadSnapshot(lead_id=f"l{n}", source="s", channel="web_form", contact=Contact(name="A"))
    event = LeadReceived(lead_id=f"l{n}", lead=lead, received_at=datetime.now(UTC))
    return encode(new_envelope(event, subject=f"l{n}", source="/test"))


async def lag(runtime: Runtime) -> dict[str, float]:
    """The lag this replica reports, by partition."""
    await runtime.refresh_metrics()
    return {
        s.labels["partition"]: s.value
        for family in runtime.metrics.registry.collect()
        if family.name == "conveyor_consumer_lag"
        for s in family.samples
    }


async def test_lag_grows_while_the_group_is_held_up_and_falls_to_zero_after(
    database: str, kafka_bus_url: str, unique_name: str
) -> None:
    topic, gate = f"{unique_name}.leads", asyncio.Event()
    runtime = replica(database, kafka_bus_url, topic, f"{unique_name}.g", gate)
    await runtime.transport.ensure_topics([topic])
    await runtime.start()
    try:
        await publish(kafka_bus_url, topic, 1000)

        async def behind() -> bool:
            return sum((await lag(runtime)).values()) > 0

        # the group's join and first fetches can take a while on a loaded machine
        assert await wait_for(behind, deadline=180, what="lag while the handler is held up")
        gate.set()

        async def caught_up() -> bool:
            found = await lag(runtime)
            return len(found) == PARTITIONS and sum(found.values()) == 0

        assert await wait_for(caught_up, what="lag back to zero on every partition")
    finally:
        gate.set()
        await runtime.stop()


async def test_a_replica_reports_lag_only_for_the_partitions_it_still_reads(
    database: str, kafka_bus_url: str, unique_name: str
) -> None:
    topic, group, gate = f"{unique_name}.leads", f"{unique_name}.g", asyncio.Event()
    gate.set()
    first = replica(database, kafka_bus_url, topic, group, gate)
    await first.transport.ensure_topics([topic])
    await first.start()
    await publish(kafka_bus_url, topic, 40)
    second = replica(database, kafka_bus_url, topic, group, gate)
    try:
        await wait_for(lambda: _reads(first, PARTITIONS), what="the first replica on all")
        await second.start()
        await publish(kafka_bus_url, topic, 40)

        async def split() -> bool:
            mine, theirs = set(await lag(first)), set(await lag(second))
            return bool(mine and theirs) and not mine & theirs and len(mine | theirs) == 4

        assert await wait_for(split, what="the partitions split, each reported once")
    finally:
        await second.stop()
        await first.stop()


async def _reads(runtime: Runtime, count: int) -> bool:
    return len(await lag(runtime)) == count
