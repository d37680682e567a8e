"""The Kafka transport on aiokafka: idempotent producer with acks=all, manual commits.

A namespace (``kafka://host:port?namespace=staging``) lets several Conveyors share one
cluster: every topic the transport publishes to, reads or creates and every consumer group
it joins is ``<namespace>.<name>`` on the broker, while the code above the transport sees
only the catalogue's names (``InboundMessage.topic`` is ``conveyor.leads.v1``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl

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
from conveyor.events.transport.partitioner import partition_of

DEFAULT_PARTITIONS = 12
SCHEME = "kafka://"
MAX_NAMESPACE_LENGTH = 100
"""Leaves room under Kafka's 249 characters for the longest topic or group name after it."""
_NAMESPACE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


def check_namespace(namespace: str) -> str:
    """The namespace if it can prefix Kafka topic names, else a ValueError saying why."""
    if not namespace:
        raise ValueError("the Kafka bus namespace is empty (leave out ?namespace= for none)")
    if len(namespace) > MAX_NAMESPACE_LENGTH:
        raise ValueError(
            f"the Kafka bus namespace is {len(namespace)} characters long; "
            f"at most {MAX_NAMESPACE_LENGTH} are allowed"
        )
    if not _NAMESPACE.fullmatch(namespace):
        raise ValueError(
            f"the Kafka bus namespace {namespace!r} is not a legal part of a Kafka topic "
            "name: use ASCII letters, digits, '_' and '-', with single '.' between them"
        )
    return namespace


def parse_url(url: str) -> tuple[str, str | None]:
    """``kafka://host:port[,host:port][?namespace=NAME]``: the bootstrap servers and the
    namespace (None without one); a ValueError naming the problem if the URL is not so."""
    if not url.startswith(SCHEME):
        raise ValueError(f"a Kafka bus URL starts with {SCHEME}: {url!r}")
    servers, _, query = url.removeprefix(SCHEME).partition("?")
    if not servers:
        raise ValueError(f"the Kafka bus URL names no bootstrap servers: {url!r}")
    if "/" in servers:
        raise ValueError(
            f"the Kafka bus URL has a path, which it does not use: {url!r} "
            "(a namespace is given as ?namespace=NAME)"
        )
    namespace = None
    for option, value in parse_qsl(query, keep_blank_values=True):
        if option != "namespace":
            raise ValueError(
                f"unknown option {option!r} in the Kafka bus URL (only namespace): {url!r}"
            )
        if namespace is not None:
            raise ValueError(f"the Kafka bus URL gives the namespace twice: {url!r}")
        namespace = check_namespace(value)
    if query and namespace is None:
        raise ValueError(f"the Kafka bus URL's query is not namespace=NAME: {url!r}")
    return servers, namespace


class KafkaSink(MessageSink):
    """Publishes with an idempotent producer (acks=all): no duplicates from retries."""

    def __init__(
        self, bootstrap_servers: str, *, client_id: str = "conveyor", prefix: str = ""
    ) -> None:
        self._prefix = prefix
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            partitioner=partition_of,  # Kafka's rule, computed faster
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        futures = [
            await self._producer.send(
                self._prefix + out.topic,
                out.message.value,
                key=out.message.key,
                headers=list(out.message.headers),
            )
            for out in messages
        ]
        await asyncio.gather(*futures)


LINGERING_FETCH_BYTES = 256 * 1024
"""What the broker gathers for a lingering group's fetch before it answers (about the 200
messages of a full batch), unless its wait ends first."""
LINGERING_FETCH_WAIT = 0.5
"""The longest the broker holds a lingering group's fetch (aiokafka's default: well inside
its request timeout); the consumer lingers for the rest."""


def fetch_options(linger: float) -> dict[str, int]:
    """The consumer's fetch settings for a group that lingers so long (none: the client's
    defaults, an answer as soon as there is a byte). Lingering, the broker answers once it
    has a batch's worth or the wait is over: the group's prefetches come in a few large
    responses instead of a small one per message published, which costs the broker and the
    client per response."""
    if linger <= 0:
        return {}
    wait = min(linger, LINGERING_FETCH_WAIT)
    return {"fetch_min_bytes": LINGERING_FETCH_BYTES, "fetch_max_wait_ms": round(wait * 1000)}


class KafkaSource(MessageSource):
    """A consumer group member that commits offsets only when told to. With a prefix (the
    namespace and a dot) it reads ``prefix + topic`` in group ``prefix + group`` and hands
    out messages under the topic names it was given."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topics: Sequence[str],
        group: str,
        prefix: str = "",
        linger: float = 0.0,
    ) -> None:
        self._prefix = prefix
        self._consumer = AIOKafkaConsumer(
            *(prefix + topic for topic in topics),
            bootstrap_servers=bootstrap_servers,
            group_id=prefix + group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **fetch_options(linger),
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
                self._unprefixed(tp.topic),
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
            tp = TopicPartition(self._prefix + msg.topic, msg.partition)
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
                lag = max(end - await self._consumer.position(tp), 0)
                lags[(self._unprefixed(tp.topic), tp.partition)] = lag
        return lags

    def _unprefixed(self, topic: str) -> str:
        return topic[len(self._prefix) :]


class KafkaTransport(Transport):
    """Sinks and sources on one Kafka cluster, in a namespace if one is given."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        partitions: int = DEFAULT_PARTITIONS,
        replication: int = 1,
        namespace: str | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.partitions = partitions
        self.replication = replication
        self.namespace = None if namespace is None else check_namespace(namespace)
        self._prefix = "" if namespace is None else namespace + "."

    @classmethod
    def from_url(
        cls, url: str, *, partitions: int = DEFAULT_PARTITIONS, replication: int = 1
    ) -> KafkaTransport:
        """A transport for ``kafka://host:port[,host:port][?namespace=NAME]``."""
        servers, namespace = parse_url(url)
        return cls(servers, partitions=partitions, replication=replication, namespace=namespace)

    def kafka_topic(self, topic: str) -> str:
        """The name on the broker of a catalogue topic (the same without a namespace)."""
        return self._prefix + topic

    def kafka_group(self, group: str) -> str:
        """The name on the broker of a consumer group (the same without a namespace)."""
        return self._prefix + group

    def sink(self) -> MessageSink:
        return KafkaSink(self.bootstrap_servers, prefix=self._prefix)

    def source(self, *, topics: Sequence[str], group: str, linger: float = 0.0) -> MessageSource:
        return KafkaSource(
            self.bootstrap_servers, topics=topics, group=group, prefix=self._prefix, linger=linger
        )

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
            names = [self.kafka_topic(t) for t in topics]
            missing = [
                NewTopic(t, self.partitions, self.replication) for t in names if t not in existing
            ]
            if missing:
                await admin.create_topics(missing)
        except TopicAlreadyExistsError:
            pass
        finally:
            await admin.close()
