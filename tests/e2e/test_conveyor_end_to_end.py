"""The whole conveyor: intake, router and followup as real processes on real Kafka and
PostgreSQL, and a real HTTP server as the reps' app."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conveyor.devkit.processes import ServiceProcess, inbox, service
from conveyor.devkit.run import LOCAL_WEBHOOKS
from tests.support import free_port, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
LEADS = 200
HUNTERS = ("hunter-ana", "hunter-ben", "hunter-cy")
ADMIN_TOKEN = uuid.uuid4().hex
FARMERS = ("farmer-fay", "farmer-gus")
FOLLOWUP_ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # the back office of followup


@pytest.fixture(scope="module")
def stack(
    postgres_server: Any, module_kafka_bus_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    suffix = uuid.uuid4().hex[:6]
    env = {}
    for name in ("intake", "router", "followup"):
        env[f"CONVEYOR_{name.upper()}_DATABASE_URL"] = postgres_server.create_database(
            f"e2e_{name}_{suffix}"
        )
        env[f"CONVEYOR_{name.upper()}_BUS_URL"] = module_kafka_bus_url
    env["CONVEYOR_INTAKE_ADMIN_TOKEN"] = ADMIN_TOKEN
    env["CONVEYOR_FOLLOWUP_ADMIN_TOKEN"] = ADMIN_TOKEN
    env["CONVEYOR_ROUTER_ADMIN_TOKEN"] = ADMIN_TOKEN
    env |= LOCAL_WEBHOOKS
    procs = {"inbox": inbox(port=free_port(), log_dir=logs)}
    procs |= {
        n: service(n, port=free_port(), env=env, log_dir=logs)
        for n in ("intake", "router", "followup")
    }
    try:
        for proc in procs.values():
            proc.start()
        for proc in procs.values():
            proc.wait_ready("/received" if proc.name == "inbox" else "/readyz")
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


def lead_body(n: int) -> dict[str, Any]:
    return {
        "contact": {
            "name": f"Lead {n}",
            "email": f"lead{n}@example.com",
            "company": f"Company {n}",
        },
        "channel": "web_form",
        "source_ref": f"form-{n}",
    }


async def register_source(intake_url: str) -> str:
    """Register the e2e website as a source through intake's admin API; return its key."""
    body = {"source_id": "e2e-website", "name": "E2E website", "channel": "web_form"}
    async with httpx.AsyncClient(base_url=intake_url, timeout=10) as client:
        response = await client.post(
            "/v1/sources",
            json={**body, "rate_limit_per_minute": 100_000},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["api_key"])


async def post_leads(intake_url: str, count: int, key: str) -> list[str]:
    limit = asyncio.Semaphore(16)
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=intake_url, timeout=30, headers=auth) as client:

        async def post(n: int) -> str:
            async with limit:
                response = await client.post("/v1/leads", json=lead_body(n))
            assert response.status_code == 202, response.text
            return str(response.json()["lead_id"])

        return await asyncio.gather(*(post(n) for n in range(count)))


async def get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    async with httpx.AsyncClient(timeout=10, headers=headers) as client:
        response = await client.get(url)
    response.raise_for_status()
    return response.json()


async def register_team(router_url: str, inbox_url: str) -> dict[str, str]:
    """Register the team with the router's admin token; give the rep app each rep's signing
    secret and API key; return the keys."""
    keys = {}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=router_url, timeout=10, headers=admin) as client:
        for rep_id in HUNTERS + FARMERS:
            role = "hunter" if rep_id in HUNTERS else "farmer"
            response = await client.post(
                "/v1/reps",
                json={
                    "rep_id": rep_id,
                    "name": rep_id,
                    "role": role,
                    "webhook_url": f"{inbox_url}/hooks/{rep_id}",
                },
            )
            assert response.status_code == 201, response.text
            keys[rep_id] = (await client.post(f"/v1/reps/{rep_id}/keys")).json()["key"]
            app = {"secret": response.json()["webhook_secret"], "key": keys[rep_id]}
            assert (await client.put(f"{inbox_url}/reps/{rep_id}", json=app)).status_code == 204
    return keys


async def test_posted_leads_reach_hunters_once_each_and_a_won_deal_gets_a_farmer_task(
    stack: dict[str, ServiceProcess],
) -> None:
    intake, router, followup, rep_app = (
        stack[n].url for n in ("intake", "router", "followup", "inbox")
    )
    keys = await register_team(router, rep_app)
    await wait_for(lambda: _farmers_enrolled(followup), what="farmers enrolled in followup")

    key = await register_source(intake)
    posted = await post_leads(intake, LEADS, key)
    received = await wait_for(
        lambda: _received(rep_app, LEADS), deadline=180, what=f"{LEADS} webhooks"
    )

    per_lead = Counter(item["payload"]["lead_id"] for item in received)
    assert set(per_lead) == set(posted)
    assert set(per_lead.values()) == {1}, "a lead was delivered more than once"
    assert len({item["webhook_id"] for item in received}) == LEADS
    assert all(item["verified"] for item in received), "a webhook's signature did not verify"
    per_rep = Counter(item["rep_id"] for item in received)
    assert sorted(per_rep.values()) == [66, 67, 67]
    status = await get_json(
        f"{intake}/v1/leads/{posted[0]}", headers={"Authorization": f"Bearer {key}"}
    )
    assert status["status"] == "qualified"

    offer = received[0]["payload"]
    rep = {"Authorization": f"Bearer {keys[offer['rep_id']]}"}
    async with httpx.AsyncClient(timeout=10, headers=rep) as client:
        accepted = await client.post(offer["links"]["accept"])
        assert accepted.status_code == 200, accepted.text
        won = await client.post(
            offer["links"]["won"], json={"amount": "25000.00", "currency": "EUR"}
        )
    assert won.status_code == 201, won.text
    tasks = await wait_for(lambda: _tasks(followup), what="a follow-up task")
    account_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:account:{offer['lead_id']}"))
    assert [(t["account_id"], t["kind"]) for t in tasks] == [(account_id, "onboarding_call")]
    assert tasks[0]["farmer_id"] in FARMERS
    account = await get_json(f"{followup}/v1/accounts/{account_id}", FOLLOWUP_ADMIN)
    assert account["hunter_id"] == offer["rep_id"]
    await _kpis_follow_the_three_services(router, offer["lead_id"])


async def _kpis_follow_the_three_services(router: str, lead_id: str) -> None:
    """The router's KPIs count every lead once from intake's events and its own, and the
    won lead's story ends with followup's handover."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    async def counted() -> Any:
        stages = (await get_json(f"{router}/v1/kpis/summary", admin))["stages"]
        counts = (stages["received"], stages["offered"], stages["won"])
        return stages if counts == (LEADS, LEADS, 1) else None

    stages = await wait_for(counted, what="every lead in the router's KPIs")
    assert (stages["accepted"], stages["lost"]) == (1, 0)

    async def told() -> Any:
        story = await get_json(f"{router}/v1/leads/{lead_id}/story", admin)
        types = [event["type"] for event in story.get("events", [])]
        return types if "conveyor.account.handed_over" in types else None

    types = await wait_for(told, what="followup's handover in the lead's story")
    assert types[0] == "conveyor.lead.received"


async def test_each_service_exposes_metrics_of_the_traffic_it_saw(
    stack: dict[str, ServiceProcess],
) -> None:
    intake, router, followup = [
        await _metrics(stack[name].url) for name in ("intake", "router", "followup")
    ]
    received = intake[
        ("conveyor_leads_received_total", (("channel", "web_form"), ("source", "e2e-website")))
    ]
    assert received == LEADS
    assigned = (
        "conveyor_events_appended_total",
        (("service", "router"), ("type", "conveyor.lead.assigned")),
    )
    assert router[assigned] == LEADS
    handled = (
        "conveyor_consumer_messages_total",
        (("group", "conveyor.router"), ("outcome", "handled"), ("service", "router")),
    )
    assert router[handled] >= LEADS
    age = (
        "conveyor_consumer_event_age_seconds_count",
        (("group", "conveyor.router"), ("service", "router")),
    )
    assert router[age] >= LEADS
    assert router[("conveyor_outbox_backlog", (("service", "router"),))] == 0
    won = (
        "conveyor_consumer_messages_total",
        (("group", "conveyor.followup"), ("outcome", "handled"), ("service", "followup")),
    )
    assert followup[won] >= 1


async def _metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{url}/metrics")).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_services_stop_gracefully_on_sigterm(stack: dict[str, ServiceProcess]) -> None:
    for name in ("intake", "router", "followup"):
        code = stack[name].stop()
        assert code in (0, -15), f"{name} exited with {code}:\n{stack[name].log_tail()}"
        assert "Application shutdown complete" in stack[name].log_tail(200)


async def _farmers_enrolled(followup: str) -> bool:
    farmers = await get_json(f"{followup}/v1/farmers", FOLLOWUP_ADMIN)
    return {f["farmer_id"] for f in farmers} == set(FARMERS)


async def _received(rep_app: str, count: int) -> list[dict[str, Any]] | None:
    got: list[dict[str, Any]] = await get_json(f"{rep_app}/received")
    return got if len(got) >= count else None


async def _tasks(followup: str) -> list[dict[str, Any]] | None:
    tasks: list[dict[str, Any]] = await get_json(f"{followup}/v1/tasks", FOLLOWUP_ADMIN)
    return tasks or None
