"""Reads of the read model, straight from SQL: no events, no domain objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.intake.adapters.tables import leads, sources


async def lead_status(engine: AsyncEngine, lead_id: str) -> Mapping[str, Any] | None:
    """The ``leads`` row of a lead, or None if intake does not know it."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(leads).where(leads.c.lead_id == lead_id))).first()
    return None if row is None else dict(row._mapping)


async def source_by_key_id(engine: AsyncEngine, key_id: str) -> Mapping[str, Any] | None:
    """The ``sources`` row whose current key has this id, or None."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(sources).where(sources.c.key_id == key_id))).first()
    return None if row is None else dict(row._mapping)


async def source_rows(engine: AsyncEngine, source_id: str | None = None) -> list[dict[str, Any]]:
    """Every source (or the one with source_id), without key hashes."""
    query = select(*[c for c in sources.c if c.name != "key_hash"]).order_by(sources.c.source_id)
    if source_id is not None:
        query = query.where(sources.c.source_id == source_id)
    async with engine.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]
