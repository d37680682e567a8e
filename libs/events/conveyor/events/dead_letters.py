"""Dead letters: list what a consumer group set aside, and replay it onto the topic it came
from once the cause is fixed. A replayed message keeps its event id, so groups that handled
it already pass it over; only the group that failed applies it.

    python -m conveyor.events.dead_letters list   --bus URL --group conveyor.router
    python -m conveyor.events.dead_letters replay --bus URL --group conveyor.router

``backlog`` counts a group's dead letters not replayed yet without reading them, for the
``conveyor_dead_letters`` gauge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select

from conveyor.events.catalogue.topics import dead_letter_topic
from conveyor.events.codec import WireMessage
from conveyor.events.transport import (
    InboundMessage,
    MessageSource,
    OutboundMessage,
    Transport,
    check_bus_url,
    transport_from_url,
)
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.events.transport.kafka import KafkaTransport

REPLAYER_SUFFIX = ".replayer"
FIRST_WAIT = 10.0


@dataclass(frozen=True)
class DeadLetter:
    """A message a consumer group could not handle, and why."""

    offset: int
    topic: str
    error: str
    event_type: str
    event_id: str
    message: WireMessage


def read_letter(inbound: InboundMessage) -> DeadLetter:
    """The dead letter an inbound DLQ message carries."""
    headers = {name: value.decode(errors="replace") for name, value in inbound.message.headers}
    original = tuple((n, v) for n, v in inbound.message.headers if not n.startswith("dlq_"))
    return DeadLetter(
        inbound.offset,
        headers.get("dlq_topic", ""),
        headers.get("dlq_error", ""),
        headers.get("ce_type", ""),
        headers.get("ce_id", ""),
        WireMessage(inbound.message.key, inbound.message.value, original),
    )


async def pending(transport: Transport, group: str, *, max_wait: float = 2.0) -> list[DeadLetter]:
    """The dead letters of a group not replayed yet (read without taking them)."""
    source = transport.source(topics=[dead_letter_topic(group)], group=group + REPLAYER_SUFFIX)
    await source.start()
    try:
        return [read_letter(m) for m in await _drain(source, max_wait)]
    finally:
        await source.stop()


async def replay(transport: Transport, group: str, *, max_wait: float = 2.0) -> list[DeadLetter]:
    """Publish every pending dead letter back onto its topic, then mark them replayed."""
    source = transport.source(topics=[dead_letter_topic(group)], group=group + REPLAYER_SUFFIX)
    sink = transport.sink()
    await source.start()
    await sink.start()
    try:
        inbound = await _drain(source, max_wait)
        letters = [read_letter(m) for m in inbound]
        await sink.publish([OutboundMessage(letter.topic, letter.message) for letter in letters])
        await source.commit(inbound)
        return letters
    finally:
        await sink.stop()
        await source.stop()


async def backlog(transport: Transport, group: str) -> int:
    """How many dead letters of the group are not replayed yet: the messages on its
    dead-letter topic after the offsets the replayer committed (all of them before any
    replay). ``list`` commits nothing, so listed letters still count; letters Kafka's
    retention deleted do not."""
    topic, replayer = dead_letter_topic(group), group + REPLAYER_SUFFIX
    if isinstance(transport, KafkaTransport):
        return await _kafka_backlog(transport, topic, replayer)
    if isinstance(transport, EmbeddedTransport):
        return await _embedded_backlog(transport, topic, replayer)
    raise TypeError(f"no dead-letter count for {type(transport).__name__}")


async def _kafka_backlog(transport: KafkaTransport, topic: str, replayer: str) -> int:
    """Read on the broker, so under the transport's namespace (if any) for names."""
    topic, replayer = transport.kafka_topic(topic), transport.kafka_group(replayer)
    servers = transport.bootstrap_servers
    reader = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await reader.start()
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        if not partitions:
            return 0
        ends = await reader.end_offsets(partitions)
        starts = await reader.beginning_offsets(partitions)
        done = await admin.list_consumer_group_offsets(replayer, partitions=partitions)
        after = {tp: max(starts[tp], done[tp].offset if tp in done else -1) for tp in partitions}
        return sum(max(ends[tp] - after[tp], 0) for tp in partitions)
    finally:
        await admin.close()
        await reader.stop()


async def _embedded_backlog(transport: EmbeddedTransport, topic: str, replayer: str) -> int:
    m, o = transport.messages, transport.offsets
    replayed = select(o.c.offset).where((o.c.group_id == replayer) & (o.c.topic == topic))
    after = func.coalesce(replayed.scalar_subquery(), 0)
    query = select(func.count()).where((m.c.topic == topic) & (m.c.offset > after))
    async with transport.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def _drain(source: MessageSource, max_wait: float) -> list[InboundMessage]:
    """Everything the source has now: a long first wait (joining a group takes a moment),
    then until a short wait brings nothing."""
    got = await source.fetch(max_messages=500, max_wait=max(max_wait, FIRST_WAIT))
    while batch := await source.fetch(max_messages=500, max_wait=max_wait):
        got += batch
    return got


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: list or replay a group's dead letters (one JSON object per line)."""
    parser = argparse.ArgumentParser(prog="python -m conveyor.events.dead_letters")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument(
        "--bus", required=True, help="kafka://host:port[?namespace=NAME] or a SQL URL"
    )
    parser.add_argument("--group", required=True, help="the consumer group, e.g. conveyor.router")
    args = parser.parse_args(argv)
    try:
        check_bus_url(args.bus)
    except ValueError as exc:
        parser.error(str(exc))
    asyncio.run(_run(args.command, transport_from_url(args.bus), args.group))


async def _run(command: str, transport: Transport, group: str) -> None:
    try:
        work = pending if command == "list" else replay
        for letter in await work(transport, group):
            print(
                json.dumps(
                    {
                        "offset": letter.offset,
                        "topic": letter.topic,
                        "type": letter.event_type,
                        "event_id": letter.event_id,
                        "error": letter.error,
                        "action": command,
                    }
                )
            )
    finally:
        await transport.close()


if __name__ == "__main__":
    main()
