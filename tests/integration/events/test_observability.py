"""Metrics, JSON logs and correlation of a service built on the shared runtime, after real
traffic over HTTP and the embedded bus."""

import gc
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.heap import YOUNG
from conveyor.events.logs import JsonFormatter
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import create_engine, event_store_metadata
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.events.web import service_app
from tests.support import wait_for


@dataclass
class ProbeService:
    runtime: Runtime


def probe_app(tmp_path: Path, seen: list[Envelope]) -> FastAPI:
    router = APIRouter()

    @router.post("/leads/{lead_id}", status_code=202)
    async def post(lead_id: str, request: Request) -> dict[str, str]:
        runtime = request.app.state.service.runtime
        lead = LeadSnapshot(
            lead_id=lead_id, source="site-a", channel="web_form", contact=Contact(name="Ada")
        )
        event = LeadReceived(lead_id=lead_id, lead=lead, received_at=datetime.now(UTC))
        envelope = new_envelope(event, subject=lead_id, source=runtime.source)
        async with runtime.engine.begin() as conn:
            await runtime.writer.append(conn, lead_id, [envelope], expected_version=0)
        runtime.committed()
        logging.getLogger("probe").info("lead accepted")
        return {"correlation_id": envelope.correlation_id}

    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        seen.append(envelope)

    def build() -> ProbeService:
        runtime = Runtime(
            name="probe",
            engine=create_engine(f"sqlite+aiosqlite:///{tmp_path}/probe.db"),
            transport=EmbeddedTransport.from_url(f"sqlite+aiosqlite:///{tmp_path}/bus.db"),
        )
        runtime.subscribe(
            Subscription(
                group="probe.reader", topics=[LEADS], handlers={LeadReceived.event_type: handle}
            )
        )
        return ProbeService(runtime)

    return service_app(title="probe", build=build, routers=[router])


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, list[Envelope]]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/probe.db")
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    await engine.dispose()
    seen: list[Envelope] = []
    app = probe_app(tmp_path, seen)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as http,
    ):
        yield http, seen


async def test_while_a_service_runs_its_start_up_heap_is_frozen_out_of_collections(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/probe.db")
    async with engine.begin() as conn:
        await conn.run_sync(event_store_metadata().create_all)
    await engine.dispose()
    app, before = probe_app(tmp_path, []), gc.get_threshold()
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] == YOUNG
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_requests_events_leads_and_consumption_after_real_traffic(
    client: tuple[httpx.AsyncClient, list[Envelope]],
) -> None:
    http, seen = client
    for n in range(3):
        assert (await http.post(f"/leads/l{n}")).status_code == 202
    await wait_for(lambda: _at_least(seen, 3), what="the consumer to handle 3 leads")
    exposition = (await http.get("/metrics")).text
    got = samples(exposition)
    route = (
        ("method", "POST"),
        ("route", "/leads/{lead_id}"),
        ("service", "probe"),
        ("status", "202"),
    )
    assert got[("conveyor_http_requests_total", route)] == 3
    assert (
        got[
            (
                "conveyor_events_appended_total",
                (("service", "probe"), ("type", "conveyor.lead.received")),
            )
        ]
        == 3
    )
    assert (
        got[("conveyor_leads_received_total", (("channel", "web_form"), ("source", "site-a")))] == 3
    )
    assert (
        got[
            (
                "conveyor_consumer_messages_total",
                (("group", "probe.reader"), ("outcome", "handled"), ("service", "probe")),
            )
        ]
        == 3
    )
    assert got[("conveyor_outbox_backlog", (("service", "probe"),))] == 0
    assert (
        got[
            (
                "conveyor_consumer_lag",
                (
                    ("group", "probe.reader"),
                    ("partition", "0"),
                    ("service", "probe"),
                    ("topic", LEADS),
                ),
            )
        ]
        == 0
    )
    assert (
        got[
            (
                "conveyor_consumer_event_age_seconds_count",
                (("group", "probe.reader"), ("service", "probe")),
            )
        ]
        == 3
    )


async def _at_least(seen: list[Envelope], count: int) -> bool:
    return len(seen) >= count


async def test_a_request_correlation_id_flows_into_its_events_and_log_lines(
    client: tuple[httpx.AsyncClient, list[Envelope]],
) -> None:
    http, seen = client
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("probe"))
    logger = logging.getLogger("probe")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = await http.post("/leads/l9", headers={"x-correlation-id": "corr-123"})
    finally:
        logging.getLogger("probe").removeHandler(handler)
    assert response.headers["x-correlation-id"] == "corr-123"
    assert response.json()["correlation_id"] == "corr-123"
    [line] = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert line["correlation_id"] == "corr-123"
    assert line["service"] == "probe" and line["message"] == "lead accepted"
    await wait_for(lambda: _at_least(seen, 1), what="the consumer to handle the lead")
    assert seen[0].correlation_id == "corr-123"
