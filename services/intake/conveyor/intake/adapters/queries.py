"""Reads of the read model, straight from SQL: no events, no domain objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.intake.adapters.tables import leads


async def lead_status(engine: AsyncEngine, lead_id: str) -> Mapping[str, Any] | None:
    """The ``leads`` row of a lead, or None if intake does not know it."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(leads).where(leads.c.lead_id == lead_id))).first()
    return None if row is None else dict(row._mapping)
