"""/v1/farmers: the enrolled farmers, their portfolios and the rules that fill them."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from conveyor.events.web import Problem
from conveyor.followup.entrypoints.api.auth import AdminDep, CallerDep
from conveyor.followup.entrypoints.api.deps import ReadModelsDep, get_service
from conveyor.followup.service_layer.commands import SetFarmerPortfolio
from conveyor.followup.service_layer.farmers import set_portfolio

router = APIRouter(prefix="/v1/farmers", tags=["farmers"])


class Farmer(BaseModel):
    """A farmer (account manager), the rules of their portfolio and how many accounts they hold."""

    farmer_id: str
    name: str
    portfolio_size: int
    territories: list[str]
    segments: list[str]
    product_lines: list[str]
    cap: int | None
    team_lead_id: str | None
    time_zone: str
    available: bool
    webhook_url: str | None = None
    webhook_status: str = "enabled"


class PortfolioRules(BaseModel):
    """What accounts a farmer takes, at most how many, and who leads their team."""

    territories: list[str] = Field(default_factory=list, max_length=200)
    segments: list[str] = Field(default_factory=list, max_length=50)
    product_lines: list[str] = Field(default_factory=list, max_length=200)
    cap: int | None = Field(default=None, ge=0, description="most accounts; null: no cap")
    team_lead_id: str | None = Field(default=None, min_length=1, max_length=200)


@router.get("")
async def list_farmers(caller: CallerDep, read_models: ReadModelsDep) -> list[Farmer]:
    """Every enrolled farmer, by id (for the back office and reps)."""
    return [Farmer.model_validate(asdict(farmer)) for farmer in await read_models.farmers()]


@router.put("/{farmer_id}/portfolio", dependencies=[AdminDep])
async def set_farmer_portfolio(
    farmer_id: str, rules: PortfolioRules, request: Request, read_models: ReadModelsDep
) -> Farmer:
    """Set a farmer's portfolio rules (back office); they apply to the next handovers."""
    command = SetFarmerPortfolio(
        farmer_id=farmer_id,
        territories=tuple(rules.territories),
        segments=tuple(rules.segments),
        product_lines=tuple(rules.product_lines),
        cap=rules.cap,
        team_lead_id=rules.team_lead_id,
    )
    await get_service(request).execute(set_portfolio, command)
    found = [f for f in await read_models.farmers() if f.farmer_id == farmer_id]
    if not found:
        raise Problem(404, "Farmer not found", f"no farmer has the id {farmer_id!r}")
    return Farmer.model_validate(asdict(found[0]))
