"""Command handlers about farmers: the rules of their portfolios."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.catalogue.followup import FarmerPortfolioChanged
from conveyor.followup.service_layer.commands import SetFarmerPortfolio
from conveyor.followup.service_layer.context import Context
from conveyor.followup.service_layer.errors import NotFound
from conveyor.followup.service_layer.streams import farmer_stream


async def set_portfolio(command: SetFarmerPortfolio, conn: AsyncConnection, ctx: Context) -> None:
    """Record the farmer's new portfolio rules; 404 when the farmer is not enrolled."""
    stream = farmer_stream(command.farmer_id)
    version = await ctx.streams.version(conn, stream)
    if version == 0:
        raise NotFound(f"no farmer has the id {command.farmer_id!r}")
    changed = FarmerPortfolioChanged(
        farmer_id=command.farmer_id,
        territories=_folded(command.territories),
        segments=_folded(command.segments),
        product_lines=_folded(command.product_lines),
        cap=command.cap,
        team_lead_id=command.team_lead_id,
    )
    await ctx.streams.append(conn, stream, [changed], expected_version=version)


def _folded(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({v.strip().casefold() for v in values if v.strip()}))
