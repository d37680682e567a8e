"""A replica stopped with SIGTERM under load, as in a scale-down: intake answers every request
it accepted (one is held mid-body across the signal), the router commits what it handled (its
successor handles nothing twice) and both leave their consumer groups at once. Real processes
on Kafka and PostgreSQL."""

import asyncio
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import MetaData, func, select

from conveyor.devkit.local import free_port
from conveyor.devkit.processes import ServiceProcess, inbox, service
from conveyor.devkit.run import LOCAL_WEBHOOKS
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.catalogue.router import LeadAssigned
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.store import create_engine, events_table
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
ADMIN = uuid.uuid4().hex
CLIENTS = 8


class Conveyor:
    """Intake, router and a reps' app on one broker, one database per service."""

    def __init__(self, postgres_server: Any, bus_url: str, logs: Path) -> None:
        self.logs, self.urls = logs, {}
        self.bus = KafkaTransport.from_url(bus_url)  # for the names on the broker
        self.env = {"CONVEYOR_INTAKE_ADMIN_TOKEN": ADMIN, **LOCAL_WEBHOOKS}
        for name in ("intake", "router"):
            self.urls[name] = postgres_server.create_database(f"stop_{name}_{uuid.uuid4().hex[:6]}")
            self.env[f"CONVEYOR_{name.upper()}_DATABASE_URL"] = self.urls[name]
            self.env[f"CONVEYOR_{name.upper()}_BUS_URL"] = bus_url
        self.procs: list[ServiceProcess] = []

    def start(self, name: str) -> ServiceProcess:
        n = len(self.procs)
        proc = service(name, port=free_port(), env=self.env, log_dir=self.logs, replica=n)
        self.procs.append(proc.start())
        return proc.wait_ready()

    def inbox(self) -> ServiceProcess:
        proc = inbox(port=free_port(), log_dir=self.logs)
        self.procs.append(proc.start())
        return proc.wait_ready("/received")


@pytest.fixture
def conveyor(postgres_server: Any, kafka_bus_url: str, tmp_path: Path) -> Iterator[Conveyor]:
    stack = Conveyor(postgres_server, kafka_bus_url, tmp_path)
    try:
        yield stack
    finally:
        for proc in stack.procs:
            proc.stop()


async def register_source(intake: str) -> str:
    body = {"source_id": "stop-site", "name": "Stop site", "channel": "web_form"}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{intake}/v1/sources",
            json={**body, "rate_limit_per_minute": 1_000_000},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["api_key"])


def lead_body() -> bytes:
    email = f"{uuid.uuid4().hex}@example.com"
    return httpx.Request("POST", "/", json={"contact": {"name": "Ada", "email": email}}).read()


class Load:
    """Clients posting leads, each on a new connection, until the server refuses them."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        self.answered: list[str] = []
        self.failed: list[str] = []

    async def run(self) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            await asyncio.gather(*(self._client(client) for _ in range(CLIENTS)))

    async def _client(self, client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "content-type": "application/json"}
        while True:
            try:
                response = await client.post(self.url, content=lead_body(), headers=headers)
            except httpx.ConnectError:
                return  # refused: the server no longer accepts connections
            except httpx.TransportError as exc:
                self.failed.append(repr(exc))
                continue
            assert response.status_code == 202, response.text
            self.answered.append(response.json()["lead_id"])


async def test_intake_answers_every_request_it_accepted_when_stopped_under_load(
    conveyor: Conveyor,
) -> None:
    intake = conveyor.start("intake")
    key = await register_source(intake.url)
    load = Load(f"{intake.url}/v1/leads", key)
    flowing = asyncio.create_task(load.run())
    await wait_for(lambda: _answered(load, 50), what="leads flowing")

    held = await HeldRequest.open(intake.port, key)
    await wait_for(lambda: held.read_by_server(), what="intake to read the held request")
    assert intake.process is not None
    intake.process.send_signal(signal.SIGTERM)
    await wait_for(lambda: _not_listening(intake.port), what="intake to stop listening")
    status, held_lead = await held.finish()
    assert status == 202, "the request in flight at SIGTERM was answered"
    await asyncio.wait_for(flowing, 60)
    await stopped(intake)

    stored = await _streams(conveyor.urls["intake"], LeadReceived.event_type)
    answered = {*load.answered, held_lead}
    assert len(load.answered) >= 50
    assert stored == answered, f"stored but not answered: {stored - answered}; {load.failed}"
    assert await _members(conveyor.bus, "conveyor.intake") == []


async def test_router_commits_what_it_handled_and_leaves_its_group_when_stopped_under_load(
    conveyor: Conveyor,
) -> None:
    rep_app, intake, router = conveyor.inbox(), conveyor.start("intake"), conveyor.start("router")
    async with httpx.AsyncClient(timeout=10) as client:
        body = {"rep_id": "ana", "name": "Ana", "role": "hunter"}
        rep = await client.post(
            f"{router.url}/v1/reps", json={**body, "webhook_url": f"{rep_app.url}/hooks/ana"}
        )
        assert rep.status_code == 201, rep.text
    load = Load(f"{intake.url}/v1/leads", await register_source(intake.url))
    await wait_for(lambda: _caught_up(conveyor.bus, "conveyor.router"), what="earlier leads routed")
    flowing = asyncio.create_task(load.run())
    await wait_for(lambda: _handled(router, 20), what="the router handling leads")

    assert router.process is not None
    router.process.send_signal(signal.SIGTERM)
    await stopped(router)
    assert await _members(conveyor.bus, "conveyor.router") == [], "left the group on exit"

    await wait_for(lambda: _answered(load, 120), what="more leads while no router runs")
    assert intake.process is not None
    intake.process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(flowing, 60)
    successor = conveyor.start("router")
    assigned = await wait_for(
        lambda: _assigned(conveyor.urls["router"], set(load.answered)), what="every lead assigned"
    )
    assert set(assigned.values()) == {1}, "a lead was assigned twice"
    duplicates = await _consumed(successor, "duplicate")
    assert duplicates == 0, "the successor was handed messages its predecessor had handled"


async def stopped(proc: ServiceProcess) -> None:
    """Wait for the process to exit after SIGTERM; fail unless it shut down cleanly (uvicorn
    exits by the signal it caught, once shut down)."""
    assert proc.process is not None
    code = await asyncio.to_thread(proc.process.wait, 60)
    assert code in (0, -signal.SIGTERM), proc.log_tail()
    assert "Application shutdown complete" in proc.log_tail(20), proc.log_tail()


class HeldRequest:
    """A POST whose headers and most of its body are sent, the rest held back."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, rest: bytes
    ) -> None:
        self.reader, self.writer, self.port, self.rest = reader, writer, port, rest
        self.local_port = writer.get_extra_info("sockname")[1]

    @classmethod
    async def open(cls, port: int, key: str) -> "HeldRequest":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = lead_body()
        head = (
            f"POST /v1/leads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body[:10])
        await writer.drain()
        return cls(reader, writer, port, body[10:])

    async def read_by_server(self) -> bool:
        """Whether the server took every byte sent so far off its socket (so it parsed the
        headers and began the request)."""
        return unread_bytes(server_port=self.port, client_port=self.local_port) == 0

    async def finish(self) -> tuple[int, str]:
        """Send the rest of the body; the status and the lead id of the answer."""
        self.writer.write(self.rest)
        await self.writer.drain()
        answer = await asyncio.wait_for(self.reader.read(), 60)
        self.writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        return status, httpx.Response(status, content=body).json()["lead_id"]


async def _answered(load: Load, count: int) -> bool:
    return len(load.answered) >= count


async def _not_listening(port: int) -> bool:
    return not listening(port)


async def _members(bus: KafkaTransport, group: str) -> list[Any]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bus.bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([bus.kafka_group(group)])
    finally:
        await admin.close()
    [described] = response.to_object()["groups"]
    return list(described["members"])


async def _metric(proc: ServiceProcess, name: str, **labels: str) -> float:
    async with httpx.AsyncClient(timeout=30) as client:
        text = (await client.get(f"{proc.url}/metrics")).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    )


async def _handled(router: ServiceProcess, count: int) -> bool:
    return await _consumed(router, "handled") >= count


async def _consumed(router: ServiceProcess, outcome: str) -> float:
    name = "conveyor_consumer_messages_total"
    return await _metric(router, name, group="conveyor.router", outcome=outcome)


async def _streams(url: str, event_type: str) -> set[str]:
    events = events_table(MetaData())
    engine = create_engine(url)
    async with engine.connect() as conn:
        query = select(events.c.stream_id).where(events.c.event_type == event_type)
        rows = {str(r[0]) for r in await conn.execute(query)}
    await engine.dispose()
    return rows


async def _assigned(url: str, leads: set[str]) -> dict[str, int] | None:
    events = events_table(MetaData())
    query = (
        select(events.c.stream_id, func.count())
        .where(events.c.event_type == LeadAssigned.event_type)
        .group_by(events.c.stream_id)
    )
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = {str(r[0]): int(r[1]) for r in await conn.execute(query)}
    await engine.dispose()
    return rows if leads <= set(rows) else None


async def _caught_up(bus: KafkaTransport, group: str) -> bool:
    """Whether the group committed every message on the leads topic (of the bus's
    namespace)."""
    leads = bus.kafka_topic(LEADS)
    reader = AIOKafkaConsumer(bootstrap_servers=bus.bootstrap_servers)
    admin = AIOKafkaAdminClient(bootstrap_servers=bus.bootstrap_servers)
    await reader.start()
    await admin.start()
    try:
        [topic] = await admin.describe_topics([leads])
        partitions = [TopicPartition(leads, p["partition"]) for p in topic["partitions"]]
        ends = await reader.end_offsets(partitions)
        done = await admin.list_consumer_group_offsets(
            bus.kafka_group(group), partitions=partitions
        )
    finally:
        await admin.close()
        await reader.stop()
    return all(done[tp].offset >= ends[tp] for tp in partitions if ends[tp] > 0)


def listening(port: int) -> bool:
    """Whether something listens on the TCP port (IPv4)."""
    return any(_port(row[1]) == port and row[3] == "0A" for row in _tcp_sockets())


def unread_bytes(*, server_port: int, client_port: int) -> int | None:
    """Bytes the server has not yet read from its end of a connection (None: no such one)."""
    for row in _tcp_sockets():
        if _port(row[1]) == server_port and _port(row[2]) == client_port:
            return int(row[4].split(":")[1], 16)
    return None


def _tcp_sockets() -> list[list[str]]:
    return [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)
