"""The router's KPI facts, refolded with rows written out after every event (the memory
bound at its smallest: every later change reads its row back), equal the live ones, on
SQLite and PostgreSQL."""

from __future__ import annotations

from conveyor.events.catalogue import build_registry
from conveyor.router.adapters.kpi_store import rebuild as rebuild_kpis
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
