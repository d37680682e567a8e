"""Intake's read models, rebuilt with rows written out after every event (the memory bound
at its smallest: a touch counted on a lead reads its row back), equal the live ones."""

import httpx
from sqlalchemy import select

from conveyor.events.catalogue import build_registry
from conveyor.events.projection import rebuild
from conveyor.events.store import EventStore, create_engine
from conveyor.intake.adapters.projections import LeadStatusProjection
from conveyor.intake.adapters.source_projection import SourcesProjection
from conveyor.intake.adapters.tables import sources
from conveyor.intake.config import Settings

from .conftest import lead_body
from .test_events import lead_rows


async def test_leads_and_sources_rebuilt_with_every_row_written_out_at_once_equal_the_live_ones(
    website: httpx.AsyncClient, settings: Settings
) -> None:
    for n, name in enumerate(("Ada", "Bo", "Ada again", "Ada thrice")):
        body = lead_body(contact={"name": name, "phone": f"+44 20 7946 000{n % 2}"})
        assert (await website.post("/v1/leads", json=body)).status_code == 202
    live_leads, engine = (
        await lead_rows(settings.database_url),
        create_engine(settings.database_url),
    )
    async with engine.connect() as conn:
        live_sources = (await conn.execute(select(sources))).all()
    assert max(row.touches for row in live_leads) >= 1 and live_sources
    for max_rows in (0, 100_000):
        projections = [LeadStatusProjection(), SourcesProjection()]
        await rebuild(engine, EventStore(build_registry()), projections, max_rows=max_rows)
        assert await lead_rows(settings.database_url) == live_leads
        async with engine.connect() as conn:
            assert (await conn.execute(select(sources))).all() == live_sources
    await engine.dispose()
