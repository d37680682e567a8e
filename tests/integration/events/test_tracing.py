"""One lead, one trace: spans from intake's HTTP request, the router's consumer and the
webhook delivery share the trace id of the request's traceparent."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from conveyor.devkit.inbox import create_inbox_app
from conveyor.events.migrate import upgrade
from conveyor.intake.adapters.database import MIGRATIONS as INTAKE_MIGRATIONS
from conveyor.intake.config import Settings as IntakeSettings
from conveyor.intake.entrypoints.app import create_app as intake_app
from conveyor.router.adapters import MIGRATIONS as ROUTER_MIGRATIONS
from conveyor.router.config import Settings as RouterSettings
from conveyor.router.entrypoints.app import create_app as router_app
from tests.support import running_server, wait_for

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    trace.set_tracer_provider(provider)
    return memory


@pytest.fixture
async def conveyor(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    bus = f"sqlite+aiosqlite:///{tmp_path}/bus.db"
    intake = IntakeSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        bus_url=bus,
        admin_token="admin-secret",
    )
    router = RouterSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/router.db",
        bus_url=bus,
        webhook_require_https=False,
        webhook_allow_loopback=True,
    )
    await asyncio.to_thread(upgrade, intake.database_url, str(INTAKE_MIGRATIONS))
    await asyncio.to_thread(upgrade, router.database_url, str(ROUTER_MIGRATIONS))
    apps = {"intake": intake_app(intake), "router": router_app(router)}
    async with AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            )
        clients["inbox"] = await stack.enter_async_context(running_server(create_inbox_app()))
        yield clients


async def test_one_lead_is_one_trace_from_intake_to_the_webhook(
    conveyor: dict[str, Any], exporter: InMemorySpanExporter
) -> None:
    intake, router, inbox_url = conveyor["intake"], conveyor["router"], conveyor["inbox"]
    rep = {
        "rep_id": "ana",
        "name": "Ana",
        "role": "hunter",
        "webhook_url": f"{inbox_url}/hooks/ana",
    }
    assert (await router.post("/v1/reps", json=rep)).status_code == 201
    source = await intake.post(
        "/v1/sources",
        headers={"Authorization": "Bearer admin-secret"},
        json={"source_id": "site", "name": "Site", "channel": "web_form"},
    )
    assert source.status_code == 201, source.text
    key = source.json()["api_key"]
    posted = await intake.post(
        "/v1/leads",
        headers={"Authorization": f"Bearer {key}", "traceparent": TRACEPARENT},
        json={"contact": {"name": "Ada", "email": "ada@example.com"}},
    )
    assert posted.status_code == 202, posted.text

    async def received() -> list[dict[str, Any]] | None:
        async with httpx.AsyncClient() as client:
            got: list[dict[str, Any]] = (await client.get(f"{inbox_url}/received")).json()
        return got or None

    await wait_for(received, what="the webhook")
    spans = await wait_for(lambda: _spans_of_trace(exporter, 3), what="the spans")
    names = {s.name for s in spans}
    assert "POST /v1/leads" in names
    assert "conveyor.router handles conveyor.lead.qualified" in names
    assert "deliver lead to rep app" in names
    posts = [s for s in spans if s.kind == SpanKind.SERVER and s.name == "POST /v1/leads"]
    assert len(posts) == 1  # the request's span is ours alone: FastAPI's own is off


async def _spans_of_trace(exporter: InMemorySpanExporter, at_least: int) -> list[Any] | None:
    mine = [
        s
        for s in exporter.get_finished_spans()
        if s.context is not None and f"{s.context.trace_id:032x}" == TRACE_ID
    ]
    return mine if len({s.name for s in mine}) >= at_least else None
