"""Reps' personal plans: a manager sets a month's plan; plan against actual per month and
week; the weekly reconciliation."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from conveyor.events.catalogue.router import RepPlanSet
from conveyor.events.web import Problem
from conveyor.router.adapters.kpi_queries import portfolio_facts
from conveyor.router.entrypoints.deps import ServiceDep, ctx, run
from conveyor.router.entrypoints.kpi_params import Format, StateDep, ViewerDep, table
from conveyor.router.service_layer.kpi_plans import plans, reconciliation, set_plan
from conveyor.router.service_layer.kpi_scope import Tables, Viewer

plans_api = APIRouter(prefix="/v1/plans", tags=["plans"])

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"


class PlanIn(BaseModel):
    """A month's plan: so many deals, so much revenue (in a currency), or so much activity."""

    metric: Literal["deals", "revenue", "activity"]
    target: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


@plans_api.put("/{rep_id}/{month}")
async def put_plan(
    rep_id: str,
    month: Annotated[str, Path(pattern=MONTH, description="YYYY-MM")],
    body: PlanIn,
    service: ServiceDep,
    state: StateDep,
    seen_by: ViewerDep,
) -> dict[str, Any]:
    """Set the rep's plan for the month (the administrator, or a team lead of the rep's
    team); setting the same plan again changes nothing."""
    rep = state.reps.get(rep_id)
    if rep is None:
        raise Problem(404, "Not found", f"no rep {rep_id}")
    if not _may_plan(seen_by, rep_id, frozenset(rep.pools)):
        raise Problem(403, "Forbidden", "only the administrator or the rep's team lead sets plans")
    plan = RepPlanSet(rep_id=rep_id, month=month, set_by=seen_by.rep_id, **body.model_dump())
    changed = await run(service, lambda uow: set_plan(plan, uow, **ctx(service)))
    return plan.model_dump(mode="json") | {"changed": changed}


def _may_plan(seen_by: Viewer, rep_id: str, pools: frozenset[str]) -> bool:
    if seen_by.pools is None:
        return True
    return seen_by.role == "team_lead" and rep_id != seen_by.rep_id and bool(seen_by.pools & pools)


async def _tables(service: ServiceDep) -> tuple[Tables, dict[str, frozenset[str]]]:
    async with service.runtime.engine.connect() as conn:
        tables = await portfolio_facts(conn)
    pools = {r["rep_id"]: frozenset(r["pools"].split(",")) for r in tables["reps"]}
    return tables, pools


@plans_api.get("")
async def get_plans(
    service: ServiceDep,
    seen_by: ViewerDep,
    month: Annotated[str, Query(pattern=MONTH, description="YYYY-MM")],
    format: Format = "json",
) -> Any:
    """Plan against actual for the month, with each ISO week's actual."""
    tables, pools = await _tables(service)
    return table(plans(tables, month, seen_by, pools), format, f"plans-{month}")


@plans_api.get("/reconciliation")
async def get_reconciliation(
    service: ServiceDep,
    seen_by: ViewerDep,
    week: Annotated[str, Query(pattern=WEEK, description="YYYY-Www (ISO week)")],
    format: Format = "json",
) -> Any:
    """The week's share of each plan, what the rep did that week, and the gap."""
    tables, pools = await _tables(service)
    return table(reconciliation(tables, week, seen_by, pools), format, f"reconciliation-{week}")
