"""The dead-letter gauge of a running service counts what its group set aside and not yet
replayed: up as a handler fails, unchanged by listing, down to zero once replayed."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.codec import encode
from conveyor.events.dead_letters import pending, replay
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import create_engine, event_store_metadata
from conveyor.events.transport import OutboundMessage, Transport
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import wait_for


@dataclass
class Reader:
    """A handler that fails on the leads marked broken until they are fixed. Its record is
    kept outside the transaction, so a lead handled in a batch that was rolled back (and
    then applied one by one) is seen twice: the record is a set."""

    broken: set[str]
    handled: set[str] = field(default_factory=set)

    async def __call__(self, envelope: Envelope, conn: AsyncConnection) -> None:
        if envelope.subject in self.broken:
            raise RuntimeError(f"cannot read {envelope.subject}")
        self.handled.add(envelope.subject)


@pytest.fixture(
    params=[
        pytest.param("kafka", marks=[pytest.mark.kafka, pytest.mark.postgres]),
        pytest.param("embedded"),
    ]
)
async def database_and_bus(
    request: pytest.FixtureRequest, tmp_path: Path, unique_name: str
) -> AsyncIterator[tuple[str, Transport]]:
    if request.param == "kafka":
        server: Any = request.getfixturevalue("postgres_server")
        url = str(server.create_database(unique_name))
        transport: Transport = KafkaTransport.from_url(
            request.getfixturevalue("kafka_bus_url"), partitions=3
        )
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
        transport = EmbeddedTransport.from_url(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    await engine.dispose()
    yield url, transport
    await transport.close()


def lead(topic: str, lead_id: str) -> OutboundMessage:
    snapshot = LeadSnapshot(
        lead_id=lead_id, source="site", channel="web_form", contact=Contact(name="Ada")
    )
    event = LeadReceived(lead_id=lead_id, lead=snapshot, received_at=datetime.now(UTC))
    return OutboundMessage(topic, encode(new_envelope(event, subject=lead_id, source="/test")))


async def test_the_gauge_counts_dead_letters_until_they_are_replayed(
    database_and_bus: tuple[str, Transport], unique_name: str
) -> None:
    url, transport = database_and_bus
    topic, group = f"{unique_name}.leads", f"{unique_name}.reader"
    reader = Reader(broken={"lead-2", "lead-4"})
    runtime = Runtime(name="probe", engine=create_engine(url), transport=transport)
    runtime.subscribe(Subscription(group, [topic], {LeadReceived.event_type: reader}))
    await transport.ensure_topics([topic])
    await runtime.start()
    try:
        sink = transport.sink()
        await sink.start()
        await sink.publish([lead(topic, f"lead-{n}") for n in range(1, 6)])
        await sink.stop()

        assert await wait_for(lambda: _dead_letters(runtime, group, 2), what="2 dead letters")
        # lead-5 follows lead-4's dead letter on its own time: wait for it, then compare
        await wait_for(lambda: _handled(reader, 3), what="the three good leads handled")
        assert sorted(reader.handled) == ["lead-1", "lead-3", "lead-5"]
        listed = await pending(transport, group)
        assert sorted(letter.error[-8:] for letter in listed) == ["lead-2')", "lead-4')"]
        assert await _dead_letters(runtime, group, 2), "listing took letters off the count"

        reader.broken.clear()
        assert len(await replay(transport, group)) == 2
        assert await wait_for(lambda: _dead_letters(runtime, group, 0), what="none left")
        await wait_for(lambda: _handled(reader, 5), what="the replayed leads handled")
        assert sorted(reader.handled) == [f"lead-{n}" for n in range(1, 6)]
    finally:
        await runtime.stop()


async def _dead_letters(runtime: Runtime, group: str, expected: int) -> bool:
    await runtime.refresh_metrics()
    labels = {"service": "probe", "group": group}
    return runtime.metrics.registry.get_sample_value("conveyor_dead_letters", labels) == expected


async def _handled(reader: Reader, count: int) -> bool:
    return len(reader.handled) >= count
