"""What every KPI question carries: the period, the cuts, the caller's scope, and the
answer's format (JSON, or CSV for the tables)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import Response

from conveyor.events.web import Problem
from conveyor.router.domain.state import RoutingState
from conveyor.router.entrypoints.auth import CallerDep
from conveyor.router.entrypoints.deps import ServiceDep
from conveyor.router.service_layer.errors import Forbidden
from conveyor.router.service_layer.kpi_scope import Scope, Viewer, check_cuts, viewer_of

DEFAULT_DAYS = 30


async def routing_state(service: ServiceDep) -> RoutingState:
    """The routing state (reps, their roles and pools), read once per request."""
    async with service.runtime.engine.connect() as conn:
        return await service.cache.refreshed(conn)


StateDep = Annotated[RoutingState, Depends(routing_state)]


async def viewer(state: StateDep, who: CallerDep) -> Viewer:
    """Whose figures the caller may read."""
    return viewer_of(who.rep_id, state)


ViewerDep = Annotated[Viewer, Depends(viewer)]


async def scope(
    service: ServiceDep,
    state: StateDep,
    seen_by: ViewerDep,
    start: Annotated[date | None, Query(alias="from", description="first day (UTC)")] = None,
    end: Annotated[date | None, Query(alias="to", description="day after the last")] = None,
    team: str | None = None,
    rep: str | None = None,
    source: str | None = None,
    product_line: str | None = None,
) -> Scope:
    """The KPI question: the period (the last 30 days by default) and the cuts asked for,
    refused (403) when the caller may not read that team or rep."""
    end = end or service.clock().date() + timedelta(days=1)
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        reason = "must be before 'to'"
        raise Problem(422, "Invalid period", reason, errors=[{"field": "from", "reason": reason}])
    try:
        check_cuts(seen_by, team, rep, state)
    except Forbidden as exc:
        raise Problem(403, "Forbidden", str(exc)) from None
    return Scope(start, end, seen_by, team, rep, source, product_line)


ScopeDep = Annotated[Scope, Depends(scope)]
Format = Annotated[Literal["json", "csv"], Query(description="csv: the rows as text/csv")]


def table(rows: Sequence[Mapping[str, Any]], fmt: str, name: str, **extra: Any) -> Any:
    """The rows as JSON ({"rows": [...]} and extra keys) or as a CSV download."""
    if fmt != "csv":
        return {"rows": list(rows), **extra}
    out = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value
