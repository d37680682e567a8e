"""The session's Kafka broker and PostgreSQL server really work."""

from __future__ import annotations

import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from conveyor.devkit.postgres import DatabaseServer

KEYED = [(b"lead-1", b"first"), (b"lead-2", b"second"), (b"lead-3", b"third")]


async def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, replication_factor=1)])
    finally:
        await admin.close()


async def _consume(consumer: AIOKafkaConsumer, count: int, within: float) -> list[ConsumerRecord]:
    deadline = time.monotonic() + within
    records: list[ConsumerRecord] = []
    while len(records) < count and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        records += [record for batch in batches.values() for record in batch]
    return records


@pytest.mark.kafka
async def test_kafka_round_trips_keyed_messages(kafka_bootstrap: str, unique_name: str) -> None:
    await _create_topic(kafka_bootstrap, unique_name, partitions=3)
    async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all") as producer:
        sent = {
            key: await producer.send_and_wait(unique_name, value, key=key) for key, value in KEYED
        }

    consumer = AIOKafkaConsumer(
        unique_name,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{unique_name}-group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    async with consumer:
        records = await _consume(consumer, len(KEYED), within=30)
        await consumer.commit()

    assert sorted((r.key, r.value) for r in records) == KEYED
    assert {r.key: (r.partition, r.offset) for r in records} == {
        key: (meta.partition, meta.offset) for key, meta in sent.items()
    }


@pytest.mark.postgres
async def test_postgres_database_is_usable(
    postgres_server: DatabaseServer, unique_name: str
) -> None:
    url = postgres_server.create_database(unique_name)
    assert url.startswith("postgresql+asyncpg://")
    assert url.endswith(f"/{unique_name}")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            assert (await conn.execute(text("select 1"))).scalar_one() == 1
            await conn.execute(text("create table lead (id int primary key, name text not null)"))
            await conn.execute(
                text("insert into lead (id, name) values (:id, :name)"),
                [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}],
            )
        async with engine.connect() as conn:
            rows = (await conn.execute(text("select id, name from lead order by id"))).all()
        assert [tuple(row) for row in rows] == [(1, "Ada"), (2, "Grace")]
    finally:
        await engine.dispose()
