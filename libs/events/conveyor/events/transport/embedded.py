"""The embedded transport: a log in SQL (a SQLite file by default) read with stored offsets.

Topics are rows in one ``bus_messages`` table whose id is the offset; a consumer group's
progress per topic is a row in ``bus_offsets``. Appends take the log lock, so offsets
follow commit order, as in the event store. One partition per topic: a group has one
active member at a time, which keeps per-key order like Kafka does per partition.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events.codec import WireMessage
from conveyor.events.store.engine import create_engine, lock_log
from conveyor.events.transport.base import (
    InboundMessage,
    MessageSink,
    MessageSource,
    OutboundMessage,
    Transport,
)

_Offset = BigInteger().with_variant(Integer(), "sqlite")
POLL_INTERVAL = 0.02


def bus_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The message log and the consumer groups' offsets."""
    messages = Table(
        "bus_messages",
        metadata,
        Column("offset", _Offset, primary_key=True, autoincrement=True),
        Column("topic", String(200), nullable=False, index=True),
        Column("key", LargeBinary, nullable=True),
        Column("value", LargeBinary, nullable=False),
        Column("headers", Text, nullable=False),
    )
    offsets = Table(
        "bus_offsets",
        metadata,
        Column("group_id", String(200), primary_key=True),
        Column("topic", String(200), primary_key=True),
        Column("offset", BigInteger, nullable=False),
    )
    return messages, offsets


class EmbeddedTransport(Transport):
    """Sinks and sources over one SQL database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.messages, self.offsets = bus_tables(MetaData())

    @classmethod
    def from_url(cls, url: str) -> EmbeddedTransport:
        """A transport on the database at url."""
        return cls(create_engine(url))

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(self.messages.metadata.create_all)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    def sink(self) -> MessageSink:
        return EmbeddedSink(self)

    def source(self, *, topics: Sequence[str], group: str, linger: float = 0.0) -> MessageSource:
        return EmbeddedSource(self, topics=topics, group=group)  # its reads are polls anyway

    async def close(self) -> None:
        await self.engine.dispose()


class EmbeddedSink(MessageSink):
    """Appends messages to the SQL log in one transaction."""

    def __init__(self, transport: EmbeddedTransport) -> None:
        self._t = transport

    async def start(self) -> None:
        await self._t.ensure_topics(())

    async def publish(self, messages: Sequence[OutboundMessage]) -> None:
        if not messages:
            return
        rows = [
            {
                "topic": m.topic,
                "key": m.message.key,
                "value": m.message.value,
                "headers": _dump_headers(m.message.headers),
            }
            for m in messages
        ]
        async with self._t.engine.begin() as conn:
            await lock_log(conn)
            await conn.execute(insert(self._t.messages), rows)


class EmbeddedSource(MessageSource):
    """Reads the SQL log after the group's stored offsets."""

    def __init__(self, transport: EmbeddedTransport, *, topics: Sequence[str], group: str) -> None:
        self._t = transport
        self._topics = list(topics)
        self._group = group
        self._positions: dict[str, int] = {}

    async def start(self) -> None:
        await self._t.ensure_topics(self._topics)
        self._positions = await self._committed()

    async def fetch(self, *, max_messages: int, max_wait: float) -> list[InboundMessage]:
        deadline = asyncio.get_running_loop().time() + max_wait
        while True:
            batch = await self._read(max_messages)
            if batch or asyncio.get_running_loop().time() >= deadline:
                return batch
            await asyncio.sleep(POLL_INTERVAL)

    async def commit(self, messages: Sequence[InboundMessage]) -> None:
        latest: dict[str, int] = {}
        for msg in messages:
            latest[msg.topic] = max(latest.get(msg.topic, 0), msg.offset)
        if not latest:
            return
        async with self._t.engine.begin() as conn:
            for topic, offset in latest.items():
                await self._store_offset(conn, topic, offset)

    async def rewind(self) -> None:
        self._positions = await self._committed()

    async def lag(self) -> dict[tuple[str, int], int]:
        m = self._t.messages
        async with self._t.engine.connect() as conn:
            return {
                (topic, 0): int(
                    (
                        await conn.execute(
                            select(func.count())
                            .where(m.c.topic == topic)
                            .where(m.c.offset > self._positions.get(topic, 0))
                        )
                    ).scalar_one()
                )
                for topic in self._topics
            }

    async def _read(self, limit: int) -> list[InboundMessage]:
        m = self._t.messages
        clauses = [
            (m.c.topic == t) & (m.c.offset > self._positions.get(t, 0)) for t in self._topics
        ]
        query = select(m).where(or_(*clauses)).order_by(m.c.offset).limit(limit)
        async with self._t.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        batch = [
            InboundMessage(
                r.topic, 0, r.offset, WireMessage(r.key, r.value, _load_headers(r.headers))
            )
            for r in rows
        ]
        for msg in batch:
            self._positions[msg.topic] = msg.offset
        return batch

    async def _committed(self) -> dict[str, int]:
        o = self._t.offsets
        query = select(o.c.topic, o.c.offset).where(o.c.group_id == self._group)
        async with self._t.engine.connect() as conn:
            return {row.topic: row.offset for row in await conn.execute(query)}

    async def _store_offset(self, conn: AsyncConnection, topic: str, offset: int) -> None:
        o = self._t.offsets
        where = (o.c.group_id == self._group) & (o.c.topic == topic)
        result = await conn.execute(update(o).where(where).values(offset=offset))
        if result.rowcount == 0:
            await conn.execute(insert(o).values(group_id=self._group, topic=topic, offset=offset))


def _dump_headers(headers: Sequence[tuple[str, bytes]]) -> str:
    return json.dumps([[name, value.decode("latin-1")] for name, value in headers])


def _load_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, value.encode("latin-1")) for name, value in json.loads(text))
