"""Intake as several worker processes on one port (``CONVEYOR_INTAKE_WORKERS``): both serve,
every accepted lead is stored and published once, and SIGTERM stops them all."""

import asyncio
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.devkit.local import free_port
from conveyor.devkit.processes import service
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import DEADLINE, read_topic, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
ADMIN = uuid.uuid4().hex
LEADS_POSTED = 60


def log_entries(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def served_by(log: Path) -> Counter[int]:
    """Requests to POST /v1/leads per worker process, from the access log lines."""
    return Counter(
        entry["pid"]
        for entry in log_entries(log)
        if entry.get("route") == "/v1/leads" and entry.get("method") == "POST"
    )


def started(log: Path) -> set[int]:
    """The worker processes that have finished their startup (and so accept requests)."""
    done = "Application startup complete."
    return {entry["pid"] for entry in log_entries(log) if entry.get("message") == done}


async def test_two_workers_serve_and_every_lead_is_published_once(
    postgres_server: Any, kafka_bus_url: str, tmp_path: Path
) -> None:
    env = {
        "CONVEYOR_INTAKE_ADMIN_TOKEN": ADMIN,
        "CONVEYOR_INTAKE_WORKERS": "2",
        "CONVEYOR_INTAKE_DATABASE_URL": postgres_server.create_database(
            f"workers_{uuid.uuid4().hex[:6]}"
        ),
        "CONVEYOR_INTAKE_BUS_URL": kafka_bus_url,
    }
    intake = service("intake", port=free_port(), env=env, log_dir=tmp_path).start()
    try:
        intake.wait_ready()  # one worker is ready; the other may still be joining Kafka
        await wait_until(lambda: len(started(intake.log_path)) == 2, what="both workers")
        fresh = httpx.Limits(max_keepalive_connections=0)  # each request a new connection
        async with httpx.AsyncClient(base_url=intake.url, timeout=30, limits=fresh) as client:
            response = await client.post(
                "/v1/sources",
                headers={"Authorization": f"Bearer {ADMIN}"},
                json={"source_id": "site", "name": "Site", "channel": "web_form"},
            )
            assert response.status_code == 201, response.text
            key = response.json()["api_key"]

            async def post(n: int) -> str:
                body = {"contact": {"name": f"Lead {n}", "email": f"w{n}@example.com"}}
                answer = await client.post(
                    "/v1/leads", json=body, headers={"Authorization": f"Bearer {key}"}
                )
                assert answer.status_code == 202, answer.text
                return str(answer.json()["lead_id"])

            accepted: set[str] = set()
            async with asyncio.timeout(DEADLINE):  # until both have answered (either accepts)
                while len(served_by(intake.log_path)) < 2 or len(accepted) < LEADS_POSTED:
                    posted = await asyncio.gather(*(post(len(accepted) + n) for n in range(6)))
                    accepted |= set(posted)
        pids = served_by(intake.log_path)
        assert len(pids) == 2 and sum(pids.values()) == len(accepted), pids

        transport = KafkaTransport.from_url(kafka_bus_url)
        published = await read_topic(
            transport,
            LEADS,
            10**6,
            group=f"check-{uuid.uuid4().hex}",
            stop_when=lambda got: {e.subject for e in got} >= accepted,
        )
        await transport.close()
        received = Counter(e.subject for e in published if e.type == LeadReceived.event_type)
        assert {lead for lead in received if lead in accepted} == accepted
        assert all(received[lead] == 1 for lead in accepted)
    finally:
        code = intake.stop(timeout=30)
    assert code == 0, intake.log_tail()
