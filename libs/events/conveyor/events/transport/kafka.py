"""The Kafka transport on aiokafka: idempotent producer with acks=all, manual commits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from conveyor.events.codec import WireMessage
from conveyor.events.transport.base import (
    InboundMessage,
    MessageSink,
    MessageSource,
    OutboundMessage,
    Transport,
)

DEFAULT_PARTITIONS = 12


class KafkaSink(MessageSink):
    """Publishes with an idempotent producer (acks=all): no duplicates from retries."""

    def __init__(self, bootstrap_servers: str, *, client_id: str = "conveyor") -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        futures = [
            await self._producer.send(
                out.topic,
                out.message.value,
                key=out.message.key,
                headers=list(out.message.headers),
            )
            for out in messages
        ]
        await asyncio.gather(*futures)


class KafkaSource(MessageSource):
    """A consumer group member that commits offsets only when told to."""

    def __init__(self, bootstrap_servers: str, *, topics: Sequence[str], group: str) -> None:
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap_servers,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def fetch(self, *, max_messages: int, max_wait: float) -> list[InboundMessage]:
        batches = await self._consumer.getmany(
            timeout_ms=int(max_wait * 1000), max_records=max_messages
        )
        return [
            InboundMessage(
                tp.topic,
                tp.partition,
                rec.offset,
                WireMessage(rec.key, rec.value, tuple(rec.headers)),
            )
            for tp, records in batches.items()
            for rec in records
        ]

    async def commit(self, messages: Sequence[InboundMessage]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for msg in messages:
            tp = TopicPartition(msg.topic, msg.partition)
            offsets[tp] = max(offsets.get(tp, 0), msg.offset + 1)
        if offsets:
            await self._consumer.commit(offsets)

    async def rewind(self) -> None:
        await self._consumer.seek_to_committed()

    async def lag(self) -> dict[tuple[str, int], int]:
        lags = {}
        for tp in self._consumer.assignment():
            end = self._consumer.highwater(tp)
            if end is not None:
                lags[(tp.topic, tp.partition)] = max(end - await self._consumer.position(tp), 0)
        return lags


class KafkaTransport(Transport):
    """Sinks and sources on one Kafka cluster."""

    def __init__(
        self, bootstrap_servers: str, *, partitions: int = DEFAULT_PARTITIONS, replication: int = 1
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.partitions = partitions
        self.replication = replication

    def sink(self) -> MessageSink:
        return KafkaSink(self.bootstrap_servers)

    def source(self, *, topics: Sequence[str], group: str) -> MessageSource:
        return KafkaSource(self.bootstrap_servers, topics=topics, group=group)

    async def ping(self) -> None:
        client = AIOKafkaClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=3000)
        try:
            await client.bootstrap()
        finally:
            await client.close()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(t, self.partitions, self.replication) for t in topics if t not in existing
            ]
            if missing:
                await admin.create_topics(missing)
        except TopicAlreadyExistsError:
            pass
        finally:
            await admin.close()
