"""What intake publishes, and that its read model can be rebuilt from its log."""

import asyncio

import httpx
from sqlalchemy import Row, select, update

from conveyor.events import Envelope
from conveyor.events.catalogue import LEADS
from conveyor.events.catalogue.intake import (
    LeadQualified,
    LeadReceived,
    QualificationChecklistPublished,
    SourceRegistered,
)
from conveyor.events.store import create_engine
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.intake.adapters.tables import leads
from conveyor.intake.config import Settings
from conveyor.intake.entrypoints import cli
from tests.support import read_topic

from .conftest import lead_body


async def read_leads_topic(bus_url: str, count: int, group: str) -> list[Envelope]:
    """The first count envelopes on the leads topic, read as a new consumer group."""
    transport = EmbeddedTransport.from_url(bus_url)
    try:
        return await read_topic(transport, LEADS, count, group=group)
    finally:
        await transport.close()


async def lead_rows(database_url: str) -> list[Row[object]]:
    """Every row of the leads read model, by lead id."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(select(leads).order_by(leads.c.lead_id)))
    finally:
        await engine.dispose()


async def test_received_then_qualified_reach_the_bus_in_order(
    website: httpx.AsyncClient, settings: Settings, unique_name: str
) -> None:
    lead_id = (await website.post("/v1/leads", json=lead_body())).json()["lead_id"]
    registered, published, received, qualified = await read_leads_topic(
        settings.bus_url, 4, unique_name
    )
    assert isinstance(registered.data, SourceRegistered)
    assert isinstance(published.data, QualificationChecklistPublished)
    assert published.data.version == qualified.data.checklist_version == 1
    assert isinstance(received.data, LeadReceived)
    assert isinstance(qualified.data, LeadQualified)
    assert received.subject == qualified.subject == lead_id
    assert qualified.causation_id == received.id
    assert received.source == "/conveyor/intake"
    assert received.data.lead.contact.name == "Ada Lovelace"


async def test_rebuilding_the_read_model_gives_the_live_rows(
    website: httpx.AsyncClient, settings: Settings, intake_env: None
) -> None:
    for n, name in enumerate(("Ada", "Bo", "Cy", "Ada again")):
        body = lead_body(contact={"name": name, "phone": f"+44 20 7946 000{n % 3}"})
        assert (await website.post("/v1/leads", json=body)).status_code == 202
    live = await lead_rows(settings.database_url)
    engine = create_engine(settings.database_url)
    async with engine.begin() as conn:
        await conn.execute(update(leads).values(score=-1, status="received"))
    await engine.dispose()
    await asyncio.to_thread(cli.main, ["rebuild"])
    assert len(live) == 4
    assert sorted(row.status for row in live) == [
        "duplicate",
        "qualified",
        "qualified",
        "qualified",
    ]
    assert await lead_rows(settings.database_url) == live
