"""The outbox relay as a real process, SIGKILLed mid-publish, on PostgreSQL and Kafka."""

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events import new_envelope
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.events.catalogue.topics import REPS
from conveyor.events.codec import decode
from conveyor.events.store import EventStore, create_engine, event_store_metadata, load_position
from conveyor.events.transport import MessageSource
from conveyor.events.transport.kafka import KafkaTransport

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]
STREAMS, PER_STREAM, LATE = 40, 250, 500


async def append_events(engine: AsyncEngine, prefix: str, start: int, count: int) -> None:
    store = EventStore(build_registry())
    async with engine.begin() as conn:
        for n in range(start, start + count):
            stream = f"{prefix}-{n % STREAMS}"
            change = RepAvailabilityChanged(rep_id=stream, available=True, reason=str(n))
            await store.append(
                conn,
                stream,
                [new_envelope(change, subject=stream, source="/t")],
                expected_version=n // STREAMS,
            )


def start_relay(url: str, bus_url: str, log: Path) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-m",
        "conveyor.events.relay_cli",
        "--database-url",
        url,
        "--bus",
        bus_url,
        "--batch-size",
        "20",
        "--name",
        "relay",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=os.environ)


async def consume(
    source: MessageSource,
    prefix: str,
    seen: list[tuple[str, int]],
    *,
    until: int,
    relay: subprocess.Popen[bytes],
) -> None:
    registry = build_registry()
    async with asyncio.timeout(120):
        while len(set(seen)) < until:
            assert relay.poll() is None, f"relay exited with {relay.returncode}"
            for inbound in await source.fetch(max_messages=500, max_wait=0.5):
                envelope = decode(inbound.message, registry)
                if envelope.subject.startswith(prefix):
                    assert isinstance(envelope.data, RepAvailabilityChanged)
                    seen.append((envelope.subject, int(envelope.data.reason or 0)))


async def test_a_relay_killed_mid_publish_loses_nothing_and_keeps_order_per_key(
    postgres_server: Any, kafka_bus_url: str, unique_name: str, tmp_path: Path
) -> None:
    url = postgres_server.create_database(unique_name)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    total = STREAMS * PER_STREAM
    await append_events(engine, unique_name, 0, total)
    transport = KafkaTransport.from_url(kafka_bus_url)
    await transport.ensure_topics([REPS])
    source = transport.source(topics=[REPS], group=unique_name)
    await source.start()
    seen: list[tuple[str, int]] = []

    relay = start_relay(url, kafka_bus_url, tmp_path / "relay.log")
    await consume(source, unique_name, seen, until=300, relay=relay)
    relay.send_signal(signal.SIGKILL)
    relay.wait()
    async with engine.connect() as conn:
        assert await load_position(conn, "relay") < total, "relay finished before the kill"
    await append_events(engine, unique_name, total, LATE)  # committed while no relay runs

    relay = start_relay(url, kafka_bus_url, tmp_path / "relay.log")
    try:
        await consume(source, unique_name, seen, until=total + LATE, relay=relay)
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(30) == 0
        await source.stop()
        await engine.dispose()

    assert {n for _, n in seen} == set(range(total + LATE))
    first_seen: dict[str, list[int]] = defaultdict(list)
    for stream, n in dict.fromkeys(seen):
        first_seen[stream].append(n)
    for stream, numbers in first_seen.items():
        assert numbers == sorted(numbers), f"{stream} out of order"
