"""Sales KPIs for managers: the flow of leads, speed to lead, SLA attainment, conversion,
deals and money, stuck leads, farmers, fairness of the pools, ABC/XYZ of accounts.

Every figure is folded from events (see adapters/kpi_store.py); a rep reads only their
own, a team lead their teams', the administrator everything."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from conveyor.router.adapters.kpi_queries import portfolio_facts, sales_facts, stuck_facts
from conveyor.router.entrypoints.deps import ServiceDep
from conveyor.router.entrypoints.kpi_params import Format, ScopeDep, StateDep, ViewerDep, table
from conveyor.router.service_layer import kpi_portfolio, kpi_reports
from conveyor.router.service_layer.kpi_scope import Facts, Scope

kpis_api = APIRouter(tags=["kpis"])


@kpis_api.get("/v1/me")
async def me(state: StateDep, seen_by: ViewerDep) -> dict[str, Any]:
    """Who the credential belongs to, and which teams they manage."""
    rep = state.reps.get(seen_by.rep_id) if seen_by.rep_id else None
    return {
        "rep_id": seen_by.rep_id,
        "name": rep.name if rep else None,
        "role": seen_by.role,
        "teams": sorted(seen_by.pools) if seen_by.pools is not None else None,
    }


async def _facts(service: ServiceDep, scope: Scope) -> Facts:
    async with service.runtime.engine.connect() as conn:
        return await sales_facts(conn, scope.start, scope.end)


async def _stuck(service: ServiceDep, scope: Scope) -> list[dict[str, Any]]:
    async with service.runtime.engine.connect() as conn:
        leads, offers = await stuck_facts(conn)
    return kpi_reports.stuck(leads, offers, scope)


@kpis_api.get("/v1/kpis/summary")
async def summary(service: ServiceDep, scope: ScopeDep) -> dict[str, Any]:
    """Leads by verdict and stage, speed to lead (seconds), SLA attainment, deals, stuck."""
    facts = await _facts(service, scope)
    return kpi_reports.summary(facts, scope, len(await _stuck(service, scope)))


@kpis_api.get("/v1/kpis/sources")
async def sources(
    service: ServiceDep,
    scope: ScopeDep,
    by: Literal["day", "week", "month"] = "day",
    format: Format = "json",
) -> Any:
    """Leads per day, ISO week or month, source, channel and campaign, with verdicts."""
    rows = kpi_reports.sources(await _facts(service, scope), scope, by)
    return table(rows, format, "sources")


@kpis_api.get("/v1/kpis/verdicts")
async def verdicts(service: ServiceDep, scope: ScopeDep, format: Format = "json") -> Any:
    """Each verdict's count and rate, then its reasons (a lead may have several)."""
    return table(kpi_reports.verdicts(await _facts(service, scope), scope), format, "verdicts")


@kpis_api.get("/v1/kpis/conversion")
async def conversion(
    service: ServiceDep,
    scope: ScopeDep,
    by: Literal["rep", "team", "source", "product_line"] = "rep",
    format: Format = "json",
) -> Any:
    """Offers made in the period reaching each stage, per rep, team, source or product line."""
    rows = kpi_reports.converted(await _facts(service, scope), scope, by)
    return table(rows, format, f"conversion-by-{by}")


@kpis_api.get("/v1/kpis/reps")
async def reps(service: ServiceDep, scope: ScopeDep, format: Format = "json") -> Any:
    """Each rep's offers, deals, win rate, revenue and average deal."""
    return table(kpi_reports.reps(await _facts(service, scope), scope), format, "reps")


@kpis_api.get("/v1/kpis/loss-reasons")
async def loss_reasons(service: ServiceDep, scope: ScopeDep, format: Format = "json") -> Any:
    """Why deals were lost in the period."""
    rows = kpi_reports.loss_reasons(await _facts(service, scope), scope)
    return table(rows, format, "loss-reasons")


@kpis_api.get("/v1/kpis/stuck")
async def stuck(service: ServiceDep, scope: ScopeDep, format: Format = "json") -> Any:
    """Leads with no accepted owner for more than one business day, still without one."""
    return table(await _stuck(service, scope), format, "stuck")


async def _tables(service: ServiceDep) -> dict[str, Any]:
    async with service.runtime.engine.connect() as conn:
        return await portfolio_facts(conn)


@kpis_api.get("/v1/kpis/farmers")
async def farmers(service: ServiceDep, scope: ScopeDep, format: Format = "json") -> Any:
    """Per farmer: accounts, repeat orders, repeat-purchase rate, tasks on time, reactivations."""
    return table(kpi_portfolio.farmers(await _tables(service), scope), format, "farmers")


@kpis_api.get("/v1/kpis/fairness")
async def fairness(service: ServiceDep, scope: ScopeDep, format: Format = "json") -> Any:
    """Per pool and rep: offers made against the share their weight entitles them to."""
    return table(kpi_portfolio.fairness(await _tables(service), scope), format, "fairness")


@kpis_api.get("/v1/kpis/accounts")
async def accounts(
    service: ServiceDep, scope: ScopeDep, currency: str | None = None, format: Format = "json"
) -> Any:
    """Accounts by revenue: share, ABC class, orders, XYZ class (monthly regularity)."""
    rows = kpi_portfolio.accounts(await _tables(service), scope, currency)
    return table(rows, format, "accounts")
