"""Read-only queries over the router's read models, for the API."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events import Envelope
from conveyor.events.runtime import Runtime
from conveyor.router.adapters.tables import assignments, reps


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
