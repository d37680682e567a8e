"""Bus namespaces on one real Kafka broker: two transports in different namespaces, using
the same topic and group names, never see each other's messages; on the broker the topics
and groups carry the namespace, above the transport the names are the catalogue's."""

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from conveyor.events.codec import WireMessage
from conveyor.events.transport import (
    InboundMessage,
    MessageSource,
    OutboundMessage,
    Transport,
)
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import DEADLINE

pytestmark = [pytest.mark.kafka]


def kafka(bootstrap: str, namespace: str | None) -> KafkaTransport:
    """A one-partition transport: every message of a topic in one order, so a source that
    reads up to a marker has seen everything published on that topic before it."""
    url = f"kafka://{bootstrap}" + (f"?namespace={namespace}" if namespace else "")
    return KafkaTransport.from_url(url, partitions=1)


async def publish(transport: Transport, topic: str, value: bytes) -> None:
    sink = transport.sink()
    await sink.start()
    try:
        await sink.publish([OutboundMessage(topic, WireMessage(b"k", value, ()))])
    finally:
        await sink.stop()


async def read_until(source: MessageSource, last: bytes) -> list[InboundMessage]:
    """Everything the source gets up to and including the message whose value is last."""
    got: list[InboundMessage] = []
    async with asyncio.timeout(DEADLINE):
        while last not in [m.message.value for m in got]:
            got += await source.fetch(max_messages=100, max_wait=0.5)
    return got


async def on_broker(bootstrap: str) -> tuple[set[str], set[str]]:
    """The topic names and consumer group ids the broker knows."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
        groups = {group[0] for group in await admin.list_consumer_groups()}
    finally:
        await admin.close()
    return topics, groups


async def test_two_namespaces_on_one_broker_do_not_see_each_others_messages(
    kafka_bootstrap: str, unique_name: str
) -> None:
    topic, group = f"{unique_name}.leads", f"{unique_name}.router"
    staging = kafka(kafka_bootstrap, f"{unique_name}-stg")
    production = kafka(kafka_bootstrap, f"{unique_name}-prd")
    for transport in (staging, production):
        await transport.ensure_topics([topic])

    await publish(staging, topic, b"staging lead")
    await publish(production, topic, b"production marker")  # after it, on another topic

    for transport, expected in (
        (production, [b"production marker"]),
        (staging, [b"staging lead"]),
    ):
        source = transport.source(topics=[topic], group=group)
        await source.start()
        try:
            got = await read_until(source, expected[-1])
            await source.commit(got)
            lag = await source.lag()
        finally:
            await source.stop()
        # one partition from the earliest offset: the staging lead would come before the
        # marker if production read staging's topic
        assert [m.message.value for m in got] == expected
        assert {m.topic for m in got} == {topic}, "the catalogue's name, not the broker's"
        assert set(lag) == {(topic, 0)}

    topics, groups = await on_broker(kafka_bootstrap)
    assert {f"{unique_name}-stg.{topic}", f"{unique_name}-prd.{topic}"} <= topics
    assert topic not in topics
    assert {f"{unique_name}-stg.{group}", f"{unique_name}-prd.{group}"} <= groups
    assert group not in groups


async def test_a_group_commits_and_resumes_within_its_namespace(
    kafka_bootstrap: str, unique_name: str
) -> None:
    topic, group = f"{unique_name}.leads", f"{unique_name}.router"
    first = kafka(kafka_bootstrap, f"{unique_name}-a")
    other = kafka(kafka_bootstrap, f"{unique_name}-b")
    await first.ensure_topics([topic])
    await other.ensure_topics([topic])
    for value in (b"one", b"two"):
        await publish(first, topic, value)
    await publish(other, topic, b"other")

    source = first.source(topics=[topic], group=group)
    await source.start()
    try:
        got = await read_until(source, b"two")
        await source.commit(got[:1])  # "one" done, "two" not
    finally:
        await source.stop()
    # the same group name in the other namespace starts at the beginning of its own topic
    elsewhere = other.source(topics=[topic], group=group)
    await elsewhere.start()
    try:
        assert [m.message.value for m in await read_until(elsewhere, b"other")] == [b"other"]
    finally:
        await elsewhere.stop()
    again = first.source(topics=[topic], group=group)
    await again.start()
    try:
        assert [m.message.value for m in await read_until(again, b"two")] == [b"two"]
    finally:
        await again.stop()


async def test_without_a_namespace_the_names_on_the_broker_are_the_catalogues(
    kafka_bootstrap: str, unique_name: str
) -> None:
    topic, group = f"{unique_name}.leads", f"{unique_name}.router"
    bare = kafka(kafka_bootstrap, None)
    await bare.ensure_topics([topic])
    await publish(bare, topic, b"lead")
    source = bare.source(topics=[topic], group=group)
    await source.start()
    try:
        got = await read_until(source, b"lead")
        await source.commit(got)
    finally:
        await source.stop()
    assert [m.topic for m in got] == [topic]
    topics, groups = await on_broker(kafka_bootstrap)
    assert topic in topics and group in groups
