"""On PostgreSQL and Kafka: rebuilding the router from its log gives identical decisions,
and a simulation over a thousand leads changes no live state."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from conveyor.devkit.postgres import DatabaseServer
from conveyor.events.catalogue.topics import ASSIGNMENTS, DEALS, REPS
from conveyor.events.transport.kafka import KafkaTransport
from conveyor.router.adapters.queries import read_log
from conveyor.router.bootstrap import RouterService
from conveyor.router.config import Settings
from conveyor.router.service_layer.replay import replay_decisions
from tests.support import wait_for

from .harness import ManualClock, publish_leads, router_app, snapshot, utc

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]
LEADS = 1000


@pytest.fixture(scope="module")
def name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def settings(postgres_server: DatabaseServer, module_kafka_bus_url: str, name: str) -> Settings:
    """The module's router on a bus namespace of its own: it reads no lead another module
    published (its pool counters count this module's leads only)."""
    return Settings(
        webhook_require_https=False,
        webhook_allow_loopback=True,
        database_url=postgres_server.create_database(name),
        bus_url=module_kafka_bus_url,
    )


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(utc("2026-03-02T10:00:00"))


@pytest.fixture(scope="module")
async def history(
    settings: Settings, clock: ManualClock, name: str
) -> AsyncIterator[tuple[httpx.AsyncClient, RouterService, list[str]]]:
    """A router that routed LEADS leads while its team changed (routed once for the module,
    which only reads); yields the lead ids too."""
    ids = [f"{name}-{n}" for n in range(LEADS)]
    async with router_app(settings, clock) as (client, service):
        for rep_id, weight in (("ana", 3), ("ben", 2), ("cy", 1)):
            body = {"rep_id": rep_id, "name": rep_id, "role": "hunter", "weight": weight}
            assert (await client.post("/v1/reps", json=body)).status_code == 201
        policy = {"rules": [{"name": "w", "pool": "default", "strategy": "weighted_round_robin"}]}
        version = (await client.post("/v1/routing/policies", json=policy)).json()["policy_version"]
        await client.post(f"/v1/routing/policies/{version}/publish", json={})
        await _route(client, settings, clock, ids[: LEADS // 2])
        await client.patch("/v1/reps/ben", json={"active": False})
        await _route(client, settings, clock, ids[LEADS // 2 :])
        yield client, service, ids


async def _route(
    client: httpx.AsyncClient, settings: Settings, clock: ManualClock, ids: list[str]
) -> None:
    clock.advance(minutes=5)
    await publish_leads(settings.bus_url, [snapshot(i, location={"country": "DE"}) for i in ids])

    async def all_routed() -> bool:
        rows = (await client.get("/v1/assignments")).json()
        return set(ids) <= {r["lead_id"] for r in rows}

    await wait_for(all_routed, deadline=180, what=f"{len(ids)} leads routed")


async def test_rebuilding_the_router_from_its_log_gives_identical_decisions(
    history: tuple[httpx.AsyncClient, RouterService, list[str]],
    settings: Settings,
    clock: ManualClock,
) -> None:
    client, service, ids = history
    counters = (await client.get("/v1/pools/default/counters")).json()
    log = await read_log(service.runtime)
    replayed = [r for r in replay_decisions(log, service.matching) if r.lead_id in set(ids)]
    assert len(replayed) == LEADS
    assert [r.decision.rep_id for r in replayed] == [r.recorded for r in replayed]
    async with router_app(settings, clock) as (restarted, _):
        assert (await restarted.get("/v1/pools/default/counters")).json() == counters


async def test_a_simulation_over_the_history_changes_no_live_state(
    history: tuple[httpx.AsyncClient, RouterService, list[str]], settings: Settings
) -> None:
    client, service, _ = history
    await wait_for(_no_backlog(service), what="the relay to publish everything")
    head, offsets = await _head(service), await _end_offsets(settings.bus_url)
    body = {
        "rules": [{"name": "rr", "pool": "default"}],
        "start": "2026-03-02T00:00:00Z",
        "end": "2026-03-03T00:00:00Z",
        "roster": {"ben": {"active": True}},
    }
    response = await client.post("/v1/routing/simulations", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["leads"] >= LEADS and result["unroutable_after"] == 0
    assert result["load_before"]["ben"] < result["load_after"]["ben"]
    assert result["changed"] == len(result["differences"]) > 0
    assert await _head(service) == head
    assert await service.runtime.backlog() == 0
    assert await _end_offsets(settings.bus_url) == offsets


def _no_backlog(service: RouterService) -> Any:
    async def probe() -> bool:
        return await service.runtime.backlog() == 0

    return probe


async def _head(service: RouterService) -> int:
    async with service.runtime.engine.connect() as conn:
        return await service.runtime.store.head(conn)


async def _end_offsets(bus_url: str) -> dict[TopicPartition, int]:
    bus = KafkaTransport.from_url(bus_url)
    group = f"offsets-{uuid.uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bus.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in map(bus.kafka_topic, (REPS, ASSIGNMENTS, DEALS))
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()
