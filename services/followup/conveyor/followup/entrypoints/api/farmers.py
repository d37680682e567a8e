"""GET /v1/farmers: the enrolled farmers and their portfolios."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.followup.entrypoints.api.deps import ReadModelsDep

router = APIRouter(prefix="/v1/farmers", tags=["farmers"])


class Farmer(BaseModel):
    """A farmer (account manager) and how many accounts they hold."""

    farmer_id: str
    name: str
    portfolio_size: int


@router.get("")
async def list_farmers(read_models: ReadModelsDep) -> list[Farmer]:
    """Every enrolled farmer, by id."""
    return [Farmer.model_validate(asdict(farmer)) for farmer in await read_models.farmers()]
