"""Reading the KPI facts of a period: the leads that arrived in it with all their offers,
the offers made or settled in it, reps, accounts, orders, tasks and plans."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.router.adapters.kpi_tables import (
    kpi_accounts,
    kpi_events,
    kpi_leads,
    kpi_offers,
    kpi_orders,
    kpi_plans,
    kpi_reps,
    kpi_tasks,
)
from conveyor.router.service_layer.kpi_scope import Facts, Row, day_stamp

_lead = kpi_leads.c
LEAD_TIME = func.coalesce(_lead.received_at, _lead.offered_at, _lead.unroutable_at)
"""When a lead counts as arrived: received by intake, else first offered or found unroutable."""


async def sales_facts(conn: AsyncConnection, start: date, end: date) -> Facts:
    """Leads arrived in [start, end), their offers, and offers made, won or lost then."""
    low, high = day_stamp(start), day_stamp(end)
    arrived = and_(low <= LEAD_TIME, high > LEAD_TIME)
    cohort = select(kpi_leads.c.lead_id).where(arrived)
    during = [and_(kpi_offers.c[c] >= low, kpi_offers.c[c] < high) for c in _OFFER_TIMES]
    offers = await _rows(conn, kpi_offers, or_(kpi_offers.c.lead_id.in_(cohort), *during))
    lead_ids = {o["lead_id"] for o in offers}
    leads = await _rows(conn, kpi_leads, or_(arrived, kpi_leads.c.lead_id.in_(lead_ids)))
    facts = Facts({lead["lead_id"]: lead for lead in leads}, offers)
    facts.reps = {r["rep_id"]: r for r in await _rows(conn, kpi_reps, None)}
    return facts


_OFFER_TIMES = ("offered_at", "won_at", "lost_at")


async def portfolio_facts(conn: AsyncConnection) -> dict[str, list[Row]]:
    """Reps, accounts, orders, tasks and plans (small tables, read whole)."""
    tables = {
        "reps": kpi_reps,
        "accounts": kpi_accounts,
        "orders": kpi_orders,
        "tasks": kpi_tasks,
        "plans": kpi_plans,
        "offers": kpi_offers,
    }
    return {name: await _rows(conn, table, None) for name, table in tables.items()}


async def story_rows(conn: AsyncConnection, lead_id: str) -> list[Row]:
    """Every kept event about the lead or the account it became, in arrival order."""
    accounts = select(kpi_accounts.c.account_id).where(kpi_accounts.c.lead_id == lead_id)
    where = or_(kpi_events.c.lead_id == lead_id, kpi_events.c.account_id.in_(accounts))
    query = select(kpi_events).where(where).order_by(kpi_events.c.time, kpi_events.c.seq)
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def lead_offers(conn: AsyncConnection, lead_id: str) -> list[Row]:
    """The offers made of one lead."""
    return await _rows(conn, kpi_offers, kpi_offers.c.lead_id == lead_id)


async def _rows(conn: AsyncConnection, table: Table, where: Any) -> list[Row]:
    query = select(table) if where is None else select(table).where(where)
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def stuck_facts(conn: AsyncConnection) -> tuple[list[Row], list[Row]]:
    """Leads that were ever reported stuck, and their offers."""
    leads = await _rows(conn, kpi_leads, kpi_leads.c.stuck_at.is_not(None))
    ids = [lead["lead_id"] for lead in leads]
    return leads, await _rows(conn, kpi_offers, kpi_offers.c.lead_id.in_(ids))
