"""The router app in-process with a clock the test moves, and a way to feed it leads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from conveyor.events import new_envelope
from conveyor.events.catalogue.intake import LeadQualified
from conveyor.events.catalogue.topics import LEADS
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.codec import encode
from conveyor.events.migrate import upgrade
from conveyor.events.transport import OutboundMessage, transport_from_url
from conveyor.router.adapters import MIGRATIONS
from conveyor.router.bootstrap import RouterService
from conveyor.router.config import Settings
from conveyor.router.entrypoints.app import create_app
from tests.support import wait_for


class ManualClock:
    """A clock the test moves."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


def utc(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@asynccontextmanager
async def router_app(
    settings: Settings, clock: ManualClock
) -> AsyncIterator[tuple[httpx.AsyncClient, RouterService]]:
    """The migrated router app, started, with an HTTP client and its service."""
    await asyncio.to_thread(upgrade, settings.database_url, str(MIGRATIONS))
    app: FastAPI = create_app(settings, clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client,
    ):
        yield client, app.state.service


def snapshot(lead_id: str, **sections: Any) -> LeadSnapshot:
    """A lead as intake hands it over; sections (location={...}) fill in the rest."""
    body = {"lead_id": lead_id, "source": "web", "channel": "web_form"}
    contact = {"name": f"Lead {lead_id}", **sections.pop("contact", {})}
    return LeadSnapshot.model_validate({**body, "contact": contact, **sections})


async def publish_leads(bus_url: str, leads: list[LeadSnapshot]) -> None:
    """Publish LeadQualified for each lead on the bus, as intake's relay would."""
    transport = transport_from_url(bus_url)
    sink = transport.sink()
    await sink.start()
    messages = []
    for lead in leads:
        event = LeadQualified(lead_id=lead.lead_id, lead=lead, score=80, temperature="hot")
        envelope = new_envelope(event, subject=lead.lead_id, source="/conveyor/intake")
        messages.append(OutboundMessage(LEADS, encode(envelope)))
    await sink.publish(messages)
    await sink.stop()
    await transport.close()


async def routed(client: httpx.AsyncClient, lead_id: str, outcome: str = "assigned") -> Any:
    """The lead's routing history once its latest decision has the outcome."""

    async def probe() -> Any:
        response = await client.get(f"/v1/leads/{lead_id}/routing")
        if response.status_code != 200:
            return None
        body = response.json()
        return body if body["decisions"][-1]["outcome"] == outcome else None

    return await wait_for(probe, what=f"lead {lead_id} {outcome}")
