"""The router's KPI facts, refolded with rows written out after every event (the memory
bound at its smallest: every later change reads its row back), and recorded again in
batches as the KPI consumer records them, equal the live ones, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import cycle

from sqlalchemy import delete, select

from conveyor.events import Envelope
from conveyor.events.catalogue import build_registry
from conveyor.router.adapters.kpi_store import rebuild as rebuild_kpis
from conveyor.router.adapters.kpi_store import record_all
from conveyor.router.adapters.kpi_tables import KPI_TABLES, kpi_events
from tests.integration.router.kpi_history import history
from tests.integration.router.test_kpis import Department, _rows, department

__all__ = ["department"]


async def test_kpi_facts_refolded_with_every_row_written_out_at_once_equal_the_live_ones(
    department: Department,
) -> None:
    _, _, engine = department
    live = await _rows(engine)
    assert live["kpi_leads"] and live["kpi_offers"]
    for max_rows in (0, 100_000):
        assert await rebuild_kpis(engine, build_registry(), max_rows=max_rows) >= len(history())
        assert await _rows(engine) == live


async def test_kpi_facts_recorded_in_batches_equal_the_ones_recorded_event_by_event(
    department: Department,
) -> None:
    """The KPI consumer records a fetched batch at once (events kept and rows written in
    bulk, rows read once): the whole week's kept events recorded again in batches of 1 to 7
    give the same facts, and are kept in the same order, their data as received."""
    _, _, engine = department
    live = await _rows(engine)
    registry = build_registry()
    async with engine.begin() as conn:
        kept = [
            Envelope(
                id=row.event_id,
                source=row.source,
                type=row.type,
                subject=row.lead_id or row.account_id or "",
                time=datetime.fromisoformat(row.time),
                schema_version=row.schema_version,
                data=registry.decode_json(row.type, row.schema_version, row.data),
                correlation_id=row.event_id,
                data_json=json.dumps(json.loads(row.data), indent=1),  # as a message brings it
            )
            for row in await conn.execute(select(kpi_events).order_by(kpi_events.c.seq))
        ]
        for table in (*KPI_TABLES, kpi_events):
            await conn.execute(delete(table))
    assert len(kept) >= len(history())
    start = 0
    for size in cycle(range(1, 8)):
        if start >= len(kept):
            break
        async with engine.begin() as conn:
            await record_all(kept[start : start + size], conn)
        start += size
    assert await _rows(engine) == live
    async with engine.connect() as conn:  # kept again in the order received (seq numbered)
        again = (await conn.execute(select(kpi_events).order_by(kpi_events.c.seq))).all()
        assert [row.event_id for row in again] == [envelope.id for envelope in kept]
        assert [row.data for row in again] == [envelope.data_json for envelope in kept]
