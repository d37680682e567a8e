"""SLA timers are durable: the router as a real process on PostgreSQL and Kafka offers a
lead, is killed (SIGKILL) before the acceptance deadline, and after a restart the expired
offer is re-routed to another rep exactly once."""

import asyncio
import json
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conveyor.devkit.processes import ServiceProcess, service
from conveyor.devkit.run import LOCAL_WEBHOOKS
from tests.integration.router.harness import publish_leads, snapshot
from tests.integration.router.receiver import Receiver, create_receiver
from tests.support import free_port, running_server, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
# accept within 12 s of (always) working time, then re-route
SLA = {"accept": {"within_minutes": 0.2, "ladder": [{"at_minutes": 0.2, "action": "reroute"}]}}


@pytest.fixture
def router_env(postgres_server: Any, kafka_bus_url: str) -> dict[str, str]:
    name = f"sla_{uuid.uuid4().hex[:8]}"
    return {
        "CONVEYOR_ROUTER_DATABASE_URL": postgres_server.create_database(name),
        "CONVEYOR_ROUTER_BUS_URL": kafka_bus_url,
        "CONVEYOR_ROUTER_DEFAULT_SLA": json.dumps(SLA),
        "CONVEYOR_ROUTER_TIMER_INTERVAL": "0.2",
        **LOCAL_WEBHOOKS,
    }


@pytest.fixture
def router(router_env: dict[str, str], tmp_path: Any) -> Iterator[ServiceProcess]:
    proc = service("router", port=free_port(), env=router_env, log_dir=tmp_path)
    try:
        yield proc.start().wait_ready()
    finally:
        proc.stop()


async def test_an_expired_offer_is_rerouted_once_after_the_router_was_killed(
    router: ServiceProcess, router_env: dict[str, str], kafka_bus_url: str
) -> None:
    state = Receiver()
    async with (
        running_server(create_receiver(state)) as hooks,
        httpx.AsyncClient(base_url=router.url, timeout=10) as client,
    ):
        for rep_id in ("ana", "ben"):
            body = {"rep_id": rep_id, "name": rep_id, "role": "hunter"}
            made = await client.post(
                "/v1/reps", json={**body, "webhook_url": f"{hooks}/hooks/{rep_id}"}
            )
            state.secrets[rep_id] = [made.json()["webhook_secret"]]
        lead_id = f"sla-{uuid.uuid4().hex[:8]}"
        await publish_leads(kafka_bus_url, [snapshot(lead_id)])
        await wait_for(lambda: _has(state, "ana"), what="the offer at ana's")
        assert router.process is not None
        router.process.send_signal(signal.SIGKILL)
        router.process.wait()
        await asyncio.to_thread(lambda: router.start().wait_ready())
        await wait_for(lambda: _has(state, "ben"), what="the re-routed offer at ben's")
        assigned = await wait_for(lambda: _assigned(client, lead_id, 2), what="two offers")
        await wait_for(lambda: _withdrawn(state), what="ana told the lead was withdrawn")
    assert [d["rep_id"] for d in assigned] == ["ana", "ben"]
    offers = [(a["rep_id"], a["payload"]["type"]) for a in state.accepted]
    assert offers.count(("ben", "lead.assigned")) == 1
    assert all(all(a["verified"]) for a in state.attempts)


async def _assigned(client: httpx.AsyncClient, lead_id: str, n: int) -> list[Any] | None:
    """The lead's assigned decisions once there are n (the routing API answers 200)."""
    response = await client.get(f"/v1/leads/{lead_id}/routing")
    if response.status_code != 200:
        return None
    found = [d for d in response.json()["decisions"] if d["outcome"] == "assigned"]
    return found if len(found) >= n else None


async def _has(state: Receiver, rep_id: str) -> bool:
    return any(a["payload"]["type"] == "lead.assigned" for a in state.for_rep(rep_id))


async def _withdrawn(state: Receiver) -> bool:
    return any(a["payload"]["type"] == "lead.withdrawn" for a in state.for_rep("ana"))
