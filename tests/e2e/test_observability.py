"""What operators watch in season, read from the running conveyor: intake and router as real
processes on Kafka and PostgreSQL, a real reps' app, and one rep whose app is down. The JSON
request log names the lead; /metrics shows verdicts, webhook latency and dead letters, the
leads waiting for a rep, consumer lag and the size of each dead-letter queue, and they move."""

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conveyor.devkit.local import free_port
from conveyor.devkit.processes import ServiceProcess, inbox, service
from conveyor.devkit.run import LOCAL_WEBHOOKS
from conveyor.events.catalogue.topics import LEADS, dead_letter_topic
from conveyor.events.codec import WireMessage
from conveyor.events.transport import OutboundMessage
from conveyor.events.transport.kafka import KafkaTransport
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
ADMIN = uuid.uuid4().hex
Samples = list[tuple[str, dict[str, str], float]]


@pytest.fixture(scope="module")
def conveyor(
    postgres_server: Any, module_kafka_bus_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    logs = tmp_path_factory.mktemp("observability")
    env = {
        "CONVEYOR_INTAKE_ADMIN_TOKEN": ADMIN,
        "CONVEYOR_ROUTER_WEBHOOK_RETRY_SCHEDULE": "[0.2]",
        "CONVEYOR_ROUTER_WEBHOOK_TIMEOUT": "5",
        "CONVEYOR_ROUTER_RETRY_INTERVAL": "0.5",
        **LOCAL_WEBHOOKS,
    }
    for name in ("intake", "router"):
        database = postgres_server.create_database(f"obs_{name}_{uuid.uuid4().hex[:6]}")
        env[f"CONVEYOR_{name.upper()}_DATABASE_URL"] = database
        env[f"CONVEYOR_{name.upper()}_BUS_URL"] = module_kafka_bus_url
    procs = {"inbox": inbox(port=free_port(), log_dir=logs)}
    procs |= {n: service(n, port=free_port(), env=env, log_dir=logs) for n in ("intake", "router")}
    try:
        for proc in procs.values():
            proc.start()
        for proc in procs.values():
            proc.wait_ready("/received" if proc.name == "inbox" else "/readyz")
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


@pytest.fixture(scope="module")
async def source_key(conveyor: dict[str, ServiceProcess]) -> str:
    body = {"source_id": "obs-site", "name": "Obs site", "channel": "web_form"}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{conveyor['intake'].url}/v1/sources",
            json={**body, "rate_limit_per_minute": 100_000},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["api_key"])


async def post_lead(intake: str, key: str, contact: dict[str, str], **headers: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{intake}/v1/leads",
            json={"contact": contact},
            headers={"Authorization": f"Bearer {key}", **headers},
        )
    assert response.status_code == 202, response.text
    return str(response.json()["lead_id"])


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    families = text_string_to_metric_families(response.text)
    return [(s.name, s.labels, s.value) for family in families for s in family.samples]


def total(samples: Samples, name: str, **labels: str) -> float | None:
    """The sum of a metric's samples that carry the labels; None if it has none."""
    found = [v for n, lab, v in samples if n == name and labels.items() <= lab.items()]
    return sum(found) if found else None


def log_lines(proc: ServiceProcess) -> list[dict[str, Any]]:
    lines = proc.log_path.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


async def test_intake_logs_each_lead_request_as_json_with_the_lead_id(
    conveyor: dict[str, ServiceProcess], source_key: str
) -> None:
    intake = conveyor["intake"]
    correlation = f"obs-{uuid.uuid4().hex}"
    contact = {"name": "Ada Lovelace", "email": "ada@example.com"}
    lead_id = await post_lead(intake.url, source_key, contact, **{"x-correlation-id": correlation})
    async with httpx.AsyncClient(timeout=10) as client:
        read = await client.get(
            f"{intake.url}/v1/leads/{lead_id}", headers={"Authorization": f"Bearer {source_key}"}
        )
    assert read.status_code == 200, read.text

    def requests() -> list[dict[str, Any]]:
        return [e for e in log_lines(intake) if e.get("lead_id") == lead_id]

    async def both_logged() -> list[dict[str, Any]] | None:
        lines = [e for e in requests() if e["logger"] == "conveyor.http"]
        return lines if len(lines) == 2 else None

    posted, got = await wait_for(both_logged, what="the two request lines in intake's log")
    assert (posted["method"], posted["route"], posted["status"]) == ("POST", "/v1/leads", 202)
    assert posted["correlation_id"] == correlation and posted["service"] == "conveyor-intake"
    assert (got["method"], got["route"], got["status"]) == ("GET", "/v1/leads/{lead_id}", 200)
    assert got["message"] == f"GET /v1/leads/{lead_id} 200" and got["duration_ms"] >= 0


async def test_metrics_operators_need_in_season_are_exposed_and_move(
    conveyor: dict[str, ServiceProcess], source_key: str, module_kafka_bus_url: str
) -> None:
    intake, router = conveyor["intake"].url, conveyor["router"].url
    await post_lead(intake, source_key, {"name": "Early Bird", "email": "e@example.com"})
    waiting = "conveyor_router_unroutable_waiting"
    await wait_for(lambda: _metric(router, waiting, lambda v: v >= 1), what="a lead waiting")
    before = await scrape(router)
    assert total(before, "conveyor_router_leads_stuck") == 0  # one business day: not in a test

    await register_rep(router, "ana", f"{conveyor['inbox'].url}/hooks/ana")
    await register_rep(router, "dan", f"http://127.0.0.1:{free_port()}/hooks/dan")  # app down
    for n in range(6):
        await post_lead(intake, source_key, {"name": f"Target {n}", "email": f"t{n}@example.com"})
    await post_lead(intake, source_key, {"name": "Maybe Later", "phone": "+49 30 1234567"})
    await post_lead(intake, source_key, {"name": "test", "email": "x@mailinator.com"})

    verdicts = await wait_for(lambda: _verdicts(intake), what="intake's verdicts by outcome")
    assert verdicts["target"] >= 7 and verdicts["nurture"] >= 1 and verdicts["reject"] >= 1
    seconds = "conveyor_router_webhook_seconds_count"
    delivered = {"outcome": "delivered"}
    await wait_for(lambda: _metric(router, seconds, bool, **delivered), what="a delivery")
    failed = await wait_for(lambda: _failed_attempts(router), what="attempts to dan's app failing")
    assert failed >= 2, "the first attempt and its one retry"
    dead = "conveyor_router_webhook_dead_letters_total"
    await wait_for(lambda: _metric(router, dead, bool), what="a webhook dead letter")
    await wait_for(lambda: _metric(router, waiting, lambda v: v == 0), what="none waiting")
    after = await scrape(router)
    assert total(after, "conveyor_router_webhook_seconds_bucket", le="+Inf", **delivered)

    group = {"group": "conveyor.router", "topic": LEADS}
    assert total(after, "conveyor_consumer_lag", **group) is not None
    lag = "conveyor_consumer_lag"
    await wait_for(lambda: _metric(router, lag, lambda v: v == 0, **group), what="lag back to 0")
    dlq = total(after, "conveyor_dead_letters", group="conveyor.router")
    assert dlq is not None
    await set_aside_a_letter(module_kafka_bus_url, "conveyor.router")
    await wait_for(
        lambda: _metric(
            router, "conveyor_dead_letters", lambda v: v == dlq + 1, group=group["group"]
        ),
        what="the router's dead-letter queue one longer",
    )


async def register_rep(router: str, rep_id: str, webhook_url: str) -> None:
    body = {"rep_id": rep_id, "name": rep_id, "role": "hunter", "webhook_url": webhook_url}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{router}/v1/reps", json=body)
    assert response.status_code == 201, response.text


async def set_aside_a_letter(bus_url: str, group: str) -> None:
    """Put a letter on the group's dead-letter topic as its consumer would (a replay would
    send it to a topic of its own, never to the leads other tests read)."""
    transport = KafkaTransport.from_url(bus_url)
    sink = transport.sink()
    await sink.start()
    headers = (("dlq_topic", f"obs-replayed-{uuid.uuid4().hex}".encode()), ("dlq_error", b"test"))
    letter = WireMessage(b"lead-x", b"{}", headers)
    await sink.publish([OutboundMessage(dead_letter_topic(group), letter)])
    await sink.stop()
    await transport.close()


async def _metric(url: str, name: str, check: Callable[[float], bool], **labels: str) -> bool:
    found = total(await scrape(url), name, **labels)
    return found is not None and check(found)


async def _verdicts(intake: str) -> dict[str, float] | None:
    samples = await scrape(intake)
    got = {v: total(samples, "conveyor_lead_verdicts_total", verdict=v) or 0 for v in VERDICTS}
    return got if all(got.values()) else None


VERDICTS = ("target", "nurture", "reject")


async def _failed_attempts(router: str) -> float | None:
    samples = await scrape(router)
    name = "conveyor_router_webhook_seconds_count"
    failed = (total(samples, name) or 0) - (total(samples, name, outcome="delivered") or 0)
    return failed or None
