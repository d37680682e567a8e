"""Replicas come and go while leads flow: several intake and router processes on one
broker and one database each, stopped with SIGTERM and SIGKILL mid-stream; every accepted
lead is routed exactly once in effect, and each lead's events keep their order."""

import asyncio
import itertools
import signal
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, func, select

from conveyor.devkit.processes import ServiceProcess, inbox, service
from conveyor.devkit.run import LOCAL_WEBHOOKS
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived
from conveyor.events.catalogue.router import LeadAssigned
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.store import create_engine, events_table
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import free_port, read_topic, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
ADMIN = uuid.uuid4().hex
MIN_LEADS = 300
PACE = 0.02  # seconds between leads: about 50 leads/s while replicas come and go


class Cluster:
    """Replicas of intake and router sharing one database per service and one broker."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.replicas: dict[str, ServiceProcess] = {}
        self.numbers = itertools.count(1)

    def add(self, name: str) -> ServiceProcess:
        proc = service(
            name, port=free_port(), env=self.env, log_dir=self.logs, replica=next(self.numbers)
        ).start()
        self.replicas[proc.name] = proc
        return proc

    def live(self, name: str) -> list[ServiceProcess]:
        return [
            p
            for p in self.replicas.values()
            if p.name.startswith(name) and p.process is not None and p.process.poll() is None
        ]


@pytest.fixture
def cluster(
    postgres_server: Any, kafka_bus_url: str, tmp_path: Path
) -> Iterator[tuple[Cluster, dict[str, str]]]:
    env = {"CONVEYOR_INTAKE_ADMIN_TOKEN": ADMIN, **LOCAL_WEBHOOKS}
    urls = {}
    for name in ("intake", "router"):
        urls[name] = postgres_server.create_database(f"scale_{name}_{uuid.uuid4().hex[:6]}")
        env[f"CONVEYOR_{name.upper()}_DATABASE_URL"] = urls[name]
        env[f"CONVEYOR_{name.upper()}_BUS_URL"] = kafka_bus_url
    cluster = Cluster(env, tmp_path)
    rep_app = inbox(port=free_port(), log_dir=tmp_path).start()
    cluster.replicas["inbox"] = rep_app
    try:
        for name in ("intake", "intake", "router", "router"):
            cluster.add(name)
        for proc in cluster.replicas.values():
            proc.wait_ready("/received" if proc.name == "inbox" else "/readyz")
        yield cluster, urls
    finally:
        for proc in cluster.replicas.values():
            proc.stop()


async def setup_team(cluster: Cluster) -> str:
    router, intake, rep_app = (cluster.live(n)[0].url for n in ("router", "intake", "inbox"))
    async with httpx.AsyncClient(timeout=10) as client:
        for rep in ("ana", "ben", "cy"):
            response = await client.post(
                f"{router}/v1/reps",
                json={
                    "rep_id": rep,
                    "name": rep,
                    "role": "hunter",
                    "webhook_url": f"{rep_app}/hooks/{rep}",
                },
            )
            assert response.status_code == 201, response.text
        response = await client.post(
            f"{intake}/v1/sources",
            headers={"Authorization": f"Bearer {ADMIN}"},
            json={
                "source_id": "season-site",
                "name": "Season site",
                "channel": "web_form",
                "rate_limit_per_minute": 1_000_000,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["api_key"])


async def post_lead(client: httpx.AsyncClient, cluster: Cluster, n: int, key: str) -> str:
    """Post one lead, retrying on another replica with the same Idempotency-Key."""
    body = {"contact": {"name": f"Lead {n}", "email": f"lead{n}@example.com"}}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"lead-{n}"}
    for attempt in itertools.count():
        replicas = cluster.live("intake")
        target = replicas[(n + attempt) % len(replicas)]
        try:
            response = await client.post(f"{target.url}/v1/leads", json=body, headers=headers)
        except httpx.TransportError:
            await asyncio.sleep(0.05)
            continue
        if response.status_code == 202:
            return str(response.json()["lead_id"])
        assert response.status_code == 503, response.text
        await asyncio.sleep(0.05)
    raise AssertionError("unreachable")


async def churn(cluster: Cluster) -> None:
    """Add and remove replicas while leads flow."""
    steps = [
        ("add", "intake"),
        ("term", "intake"),
        ("kill", "router"),
        ("add", "router"),
        ("term", "router"),
        ("kill", "intake"),
        ("add", "router"),
    ]
    for action, name in steps:
        await asyncio.sleep(0.4)
        if action == "add":
            proc = cluster.add(name)
            await asyncio.to_thread(proc.wait_ready)
        else:
            victim = cluster.live(name)[0]
            assert victim.process is not None
            victim.process.send_signal(signal.SIGTERM if action == "term" else signal.SIGKILL)
            await asyncio.to_thread(victim.process.wait, 30)


async def test_every_accepted_lead_is_routed_once_while_replicas_come_and_go(
    cluster: tuple[Cluster, dict[str, str]], kafka_bus_url: str
) -> None:
    nodes, urls = cluster
    key = await setup_team(nodes)
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=10) as client:

        async def post(n: int) -> str:
            async with limit:
                return await post_lead(client, nodes, n, key)

        churning = asyncio.create_task(churn(nodes))
        posts: list[asyncio.Task[str]] = []
        while not churning.done() or len(posts) < MIN_LEADS:  # leads flow through the churn
            posts.append(asyncio.create_task(post(len(posts))))
            await asyncio.sleep(PACE)
        await churning
        accepted = await asyncio.gather(*posts)
    assert len(set(accepted)) == len(posts) >= MIN_LEADS

    assigned = await wait_for(
        lambda: _assignments(urls["router"], len(accepted)),
        deadline=180,
        what="every accepted lead assigned",
    )
    assert set(assigned) == set(accepted)
    assert set(assigned.values()) == {1}, "a lead was assigned more than once"
    await _check_order_on_the_bus(kafka_bus_url, set(accepted))


async def _assignments(url: str, expected: int) -> dict[str, int] | None:
    events = events_table(MetaData())
    engine = create_engine(url)
    query = (
        select(events.c.stream_id, func.count())
        .where(events.c.event_type == LeadAssigned.event_type)
        .group_by(events.c.stream_id)
    )
    async with engine.connect() as conn:
        rows = {r[0]: r[1] for r in await conn.execute(query)}
    await engine.dispose()
    return rows if len(rows) >= expected else None


async def _check_order_on_the_bus(bus_url: str, leads: set[str]) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    transport = KafkaTransport.from_url(bus_url)
    wanted = 2 * len(leads)
    events = await read_topic(
        transport,
        LEADS,
        10**9,
        group=f"check-{uuid.uuid4().hex}",
        stop_when=lambda got: sum(e.subject in leads for e in got) >= wanted,
    )
    await transport.close()
    for envelope in events:
        if envelope.subject in leads and envelope.type not in seen[envelope.subject]:
            seen[envelope.subject].append(envelope.type)
    for lead_id in leads:
        assert seen[lead_id][:2] == [LeadReceived.event_type, LeadQualified.event_type], lead_id
