"""The farmer-load read port over the farmers and accounts read models."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.followup.adapters.tables import accounts, farmers
from conveyor.followup.domain.handover import AccountTraits, FarmerLoad
from conveyor.followup.service_layer.ports import FarmerLoads, Placement


class SqlFarmerLoads(FarmerLoads):
    """Reads portfolios from the read models in the caller's transaction."""

    async def enrolled(self, conn: AsyncConnection) -> list[FarmerLoad]:
        """Every enrolled farmer with their rules and the number of accounts they hold."""
        return [_load(row) for row in await conn.execute(select(farmers))]

    async def farmer_of_client(self, conn: AsyncConnection, client_key: str) -> str | None:
        """The farmer holding the client's most recent account, if any."""
        query = (
            select(accounts.c.farmer_id)
            .where(accounts.c.client_key == client_key)
            .order_by(accounts.c.handed_over_at.desc())
            .limit(1)
        )
        found = (await conn.execute(query)).scalar()
        return str(found) if found is not None else None

    async def accounts_of(self, conn: AsyncConnection, farmer_id: str) -> list[Placement]:
        """The accounts the farmer holds, with what the portfolio rules look at."""
        query = select(accounts).where(accounts.c.farmer_id == farmer_id)
        rows = await conn.execute(query.order_by(accounts.c.account_id))
        return [Placement(row.account_id, row.client_key, _traits(row)) for row in rows]

    async def team_lead_of(self, conn: AsyncConnection, farmer_id: str) -> str | None:
        """The farmer's team lead, if they have one."""
        query = select(farmers.c.team_lead_id).where(farmers.c.farmer_id == farmer_id)
        found = (await conn.execute(query)).scalar()
        return str(found) if found is not None else None

    async def is_available(self, conn: AsyncConnection, farmer_id: str) -> bool:
        """Whether the farmer is enrolled and at work (neither gone nor on leave)."""
        query = select(farmers.c.available).where(farmers.c.farmer_id == farmer_id)
        return bool((await conn.execute(query)).scalar())


def _traits(row: Row[Any]) -> AccountTraits:
    return AccountTraits(
        territories=frozenset(json.loads(row.territories)),
        segment=row.segment,
        product_lines=frozenset(json.loads(row.product_lines)),
    )


def _load(row: Row[Any]) -> FarmerLoad:
    return FarmerLoad(
        farmer_id=row.farmer_id,
        portfolio_size=row.portfolio_size,
        territories=frozenset(json.loads(row.territories)),
        segments=frozenset(json.loads(row.segments)),
        product_lines=frozenset(json.loads(row.product_lines)),
        cap=row.cap,
        available=bool(row.available),
        time_zone=row.time_zone,
    )
