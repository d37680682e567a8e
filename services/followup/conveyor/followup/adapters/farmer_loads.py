"""The farmer-load read port over the farmers read model."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.followup.adapters.tables import farmers
from conveyor.followup.domain.handover import FarmerLoad
from conveyor.followup.service_layer.ports import FarmerLoads


class SqlFarmerLoads(FarmerLoads):
    """Reads portfolio sizes from the farmers table in the caller's transaction."""

    async def enrolled(self, conn: AsyncConnection) -> list[FarmerLoad]:
        """Every enrolled farmer with the number of accounts they hold."""
        query = select(farmers.c.farmer_id, farmers.c.portfolio_size)
        return [FarmerLoad(r.farmer_id, r.portfolio_size) for r in await conn.execute(query)]
