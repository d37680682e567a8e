"""One suite for the bus, run against the embedded transport and Kafka."""

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from conveyor.events.codec import WireMessage
from conveyor.events.runtime import Runtime
from conveyor.events.store import create_engine
from conveyor.events.transport import InboundMessage, MessageSource, OutboundMessage, Transport
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import free_port

DEADLINE = 60.0


def messages(topic: str, keys: Sequence[str], per_key: int) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            topic, WireMessage(key.encode(), f"{key}:{n}".encode(), (("h", key.encode()),))
        )
        for n in range(per_key)
        for key in keys
    ]


async def publish(transport: Transport, batch: list[OutboundMessage]) -> None:
    sink = transport.sink()
    await sink.start()
    try:
        await sink.publish(batch)
    finally:
        await sink.stop()


async def receive(source: MessageSource, count: int) -> list[InboundMessage]:
    got: list[InboundMessage] = []
    async with asyncio.timeout(DEADLINE):
        while len(got) < count:
            got += await source.fetch(max_messages=count - len(got), max_wait=0.5)
    return got


async def test_every_message_arrives_in_order_per_key_with_its_headers(
    transport: Transport, unique_name: str
) -> None:
    topic = f"{unique_name}.t"
    await transport.ensure_topics([topic])
    await publish(transport, messages(topic, ["a", "b", "c", "d"], 25))
    source = transport.source(topics=[topic], group=unique_name)
    await source.start()
    try:
        got = await receive(source, 100)
    finally:
        await source.stop()
    for key in "abcd":
        mine = [m.message for m in got if m.message.key == key.encode()]
        assert [m.value.decode() for m in mine] == [f"{key}:{n}" for n in range(25)]
        assert all(dict(m.headers)["h"] == key.encode() for m in mine)


async def test_a_group_resumes_after_its_committed_offset(
    transport: Transport, unique_name: str
) -> None:
    topic = f"{unique_name}.t"
    await transport.ensure_topics([topic])
    await publish(transport, messages(topic, ["k"], 10))
    first = transport.source(topics=[topic], group=unique_name)
    await first.start()
    got = await receive(first, 10)
    await first.commit(got[:6])
    await first.stop()
    second = transport.source(topics=[topic], group=unique_name)
    await second.start()
    try:
        rest = await receive(second, 4)
    finally:
        await second.stop()
    assert [m.message.value for m in rest] == [f"k:{n}".encode() for n in range(6, 10)]


async def test_uncommitted_messages_are_delivered_again(
    transport: Transport, unique_name: str
) -> None:
    topic = f"{unique_name}.t"
    await transport.ensure_topics([topic])
    await publish(transport, messages(topic, ["k"], 3))
    for _ in range(2):
        source = transport.source(topics=[topic], group=unique_name)
        await source.start()
        try:
            got = await receive(source, 3)
        finally:
            await source.stop()
        assert [m.message.value for m in got] == [b"k:0", b"k:1", b"k:2"]


async def test_another_group_reads_the_topic_from_the_start(
    transport: Transport, unique_name: str
) -> None:
    topic = f"{unique_name}.t"
    await transport.ensure_topics([topic])
    await publish(transport, messages(topic, ["k"], 2))
    for group in ("one", "two"):
        source = transport.source(topics=[topic], group=f"{unique_name}.{group}")
        await source.start()
        try:
            got = await receive(source, 2)
            await source.commit(got)
        finally:
            await source.stop()
        assert [m.message.value for m in got] == [b"k:0", b"k:1"]


async def test_a_source_reads_several_topics(transport: Transport, unique_name: str) -> None:
    topics = [f"{unique_name}.x", f"{unique_name}.y"]
    await transport.ensure_topics(topics)
    await publish(transport, messages(topics[0], ["k"], 2) + messages(topics[1], ["k"], 2))
    source = transport.source(topics=topics, group=unique_name)
    await source.start()
    try:
        got = await receive(source, 4)
    finally:
        await source.stop()
    assert sorted((m.topic, m.message.value) for m in got) == sorted(
        (t, f"k:{n}".encode()) for t in topics for n in range(2)
    )


async def test_ping_fails_when_the_bus_does_not_answer(tmp_path: Path) -> None:
    unreachable: list[Transport] = [
        KafkaTransport(f"127.0.0.1:{free_port()}"),
        EmbeddedTransport.from_url(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/bus.db"),
    ]
    for transport in unreachable:
        with pytest.raises(Exception):  # noqa: B017, PT011 (any connection error will do)
            await transport.ping()
        await transport.close()


async def test_a_runtime_reports_what_is_not_ready(tmp_path: Path) -> None:
    runtime = Runtime(
        name="probe",
        engine=create_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db"),
        transport=KafkaTransport(f"127.0.0.1:{free_port()}"),
    )
    checks = await runtime.ready()
    await runtime.engine.dispose()
    assert checks["database"] == "ok"
    assert checks["bus"].startswith("failing")
    assert checks["workers"] == "not running"
