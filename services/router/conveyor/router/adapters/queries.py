"""Read-only queries over the router's read models, for the API."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events import Envelope
from conveyor.events.catalogue.router import LeadUnroutable
from conveyor.events.runtime import Runtime
from conveyor.router.adapters.tables import assignments, reps, unroutable


async def list_reps(engine: AsyncEngine, rep_id: str | None = None) -> list[dict[str, Any]]:
    """Every registered rep (or the one named), settings decoded."""
    query = select(reps).order_by(reps.c.rep_id)
    if rep_id is not None:
        query = query.where(reps.c.rep_id == rep_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        {
            **row,
            "pools": row["pools"].split(","),
            "settings": json.loads(row["settings"]),
        }
        for row in rows
    ]


async def find_assignments(engine: AsyncEngine, **filters: str) -> list[dict[str, Any]]:
    """Assignments matching column=value filters, oldest first."""
    query = select(assignments).order_by(assignments.c.assigned_at)
    for column, value in filters.items():
        query = query.where(assignments.c[column] == value)
    async with engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def read_log(runtime: Runtime, *, batch: int = 1000) -> list[Envelope]:
    """The router's whole log, in position order, read without writing anything."""
    envelopes: list[Envelope] = []
    async with runtime.engine.connect() as conn:
        after = 0
        while chunk := await runtime.store.read_all(conn, after=after, limit=batch):
            envelopes += [r.envelope for r in chunk]
            after = chunk[-1].position
    return envelopes


async def waiting_leads(
    runtime: Runtime, *, limit: int
) -> tuple[int, list[tuple[str, LeadUnroutable]]]:
    """How many leads wait unroutable, and the oldest ``limit`` of them: since when each
    waits and the decision that left it waiting."""
    query = select(unroutable).order_by(unroutable.c.at, unroutable.c.lead_id)
    async with runtime.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(unroutable))).scalar_one()
        rows = (await conn.execute(query.limit(limit))).mappings().all()
        found = []
        for row in rows:
            history = await runtime.store.read_stream(conn, row["lead_id"])
            decisions = [r.envelope.data for r in history]
            last = [d for d in decisions if isinstance(d, LeadUnroutable)]
            if last:
                found.append((str(row["at"]), last[-1]))
    return count, found
