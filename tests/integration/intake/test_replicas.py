"""Two intake processes behind one PostgreSQL database and one Kafka broker take leads at
once: every lead is recorded and published once, retries and the same person included."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.devkit.postgres import DatabaseServer
from conveyor.devkit.processes import ServiceProcess, service
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.codec import decode
from conveyor.events.transport import transport_from_url
from tests.support import DEADLINE, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
PEOPLE = 200
RETRIED = 50
SAME_PERSON_PAIRS = 30
ADMIN_TOKEN = uuid.uuid4().hex


@pytest.fixture
def replicas(
    postgres_server: DatabaseServer, kafka_bus_url: str, unique_name: str, tmp_path: Path
) -> Iterator[list[ServiceProcess]]:
    env = {
        "CONVEYOR_INTAKE_DATABASE_URL": postgres_server.create_database(unique_name),
        "CONVEYOR_INTAKE_BUS_URL": kafka_bus_url,
        "CONVEYOR_INTAKE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    procs = [service("intake", port=free_port(), env=env, log_dir=tmp_path / n) for n in "ab"]
    try:
        for proc in procs:  # one after the other: the first migrates, the second finds it done
            proc.start().wait_ready()
        yield procs
    finally:
        for proc in procs:
            proc.stop()


def person(tag: str, n: int) -> dict[str, Any]:
    return {"contact": {"name": f"Person {n}", "email": f"{tag}-{n}@example.org"}}


async def post(client: httpx.AsyncClient, body: dict[str, Any], key: str) -> dict[str, Any]:
    response = await client.post("/v1/leads", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def received_on_kafka(bus_url: str, source_id: str, expected: int) -> dict[str, set[str]]:
    """LeadReceived event ids per lead id of one source, read until expected leads are seen."""
    transport = transport_from_url(bus_url)
    consumer = transport.source(topics=[LEADS], group=f"replicas-{uuid.uuid4().hex}")
    await consumer.start()
    registry, seen = build_registry(), dict[str, set[str]]()
    try:
        async with asyncio.timeout(DEADLINE * 2):
            while len(seen) < expected:
                for message in await consumer.fetch(max_messages=500, max_wait=0.5):
                    envelope = decode(message.message, registry)
                    data = envelope.data
                    if isinstance(data, LeadReceived) and data.lead.source == source_id:
                        seen.setdefault(data.lead_id, set()).add(envelope.id)
    finally:
        await consumer.stop()
        await transport.close()
    return seen


async def test_two_replicas_record_and_publish_every_lead_once(
    replicas: list[ServiceProcess], kafka_bus_url: str, unique_name: str
) -> None:
    a, b = replicas
    source_id = f"site-{unique_name}"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    body = {"source_id": source_id, "name": "Site", "channel": "web_form"}
    async with httpx.AsyncClient(base_url=a.url, headers=admin, timeout=30) as as_admin:
        registered = await as_admin.post(
            "/v1/sources", json={**body, "rate_limit_per_minute": 100_000}
        )
    assert registered.status_code == 201, registered.text
    auth = {"Authorization": f"Bearer {registered.json()['api_key']}"}
    limits = httpx.Limits(max_connections=8)
    async with (
        httpx.AsyncClient(base_url=a.url, headers=auth, timeout=60, limits=limits) as on_a,
        httpx.AsyncClient(base_url=b.url, headers=auth, timeout=60, limits=limits) as on_b,
    ):
        people = [
            post(on_a if n % 2 else on_b, person(unique_name, n), f"p-{n}") for n in range(PEOPLE)
        ]
        retries = [
            post(on_b if n % 2 else on_a, person(unique_name, n), f"p-{n}") for n in range(RETRIED)
        ]
        pairs = [
            post(client, person(f"{unique_name}-pair", n), f"pair-{n}-{side}")
            for n in range(SAME_PERSON_PAIRS)
            for side, client in (("a", on_a), ("b", on_b))
        ]
        answers = await asyncio.gather(*people, *retries, *pairs)
    first, again, paired = (
        answers[:PEOPLE],
        answers[PEOPLE : PEOPLE + RETRIED],
        answers[PEOPLE + RETRIED :],
    )

    assert [r["lead_id"] for r in again] == [r["lead_id"] for r in first[:RETRIED]]
    assert all(r["duplicate_of"] is None for r in first)
    for one, other in zip(paired[::2], paired[1::2], strict=True):
        leads = [r for r in (one, other) if r["duplicate_of"] is None]
        touches = [r for r in (one, other) if r["duplicate_of"] is not None]
        assert len(leads) == len(touches) == 1, (one, other)
        assert touches[0]["duplicate_of"] == leads[0]["lead_id"]

    expected = {r["lead_id"] for r in first} | {
        r["lead_id"] for r in paired if r["duplicate_of"] is None
    }
    seen = await received_on_kafka(kafka_bus_url, source_id, len(expected))
    assert set(seen) == expected
    assert all(len(ids) == 1 for ids in seen.values()), "a lead was received twice"
