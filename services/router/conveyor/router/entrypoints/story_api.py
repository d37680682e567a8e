"""A lead's full story for managers and ops: received, verdict, each routing decision with
its explanation, deliveries, SLA steps, outcome, handover to a farmer, follow-ups."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from conveyor.events.web import Problem
from conveyor.router.adapters.kpi_queries import lead_offers, story_rows
from conveyor.router.entrypoints.deps import ServiceDep
from conveyor.router.entrypoints.kpi_params import ViewerDep
from conveyor.router.service_layer.kpi_story import line

story_api = APIRouter(tags=["kpis"])


@story_api.get("/v1/leads/{lead_id}/story")
async def story(lead_id: str, service: ServiceDep, seen_by: ViewerDep) -> dict[str, Any]:
    """Every event about the lead and the account it became, oldest first, each with a
    line in words; a rep or team lead reads only leads offered to them or their teams."""
    async with service.runtime.engine.connect() as conn:
        rows = await story_rows(conn, lead_id)
        offers = await lead_offers(conn, lead_id)
    if not rows:
        raise Problem(404, "Not found", f"no lead {lead_id}")
    if seen_by.pools is not None and not any(
        seen_by.sees_rep(o["rep_id"], frozenset({o["pool"]})) for o in offers
    ):
        raise Problem(403, "Forbidden", f"lead {lead_id} was not offered to you or your teams")
    return {"lead_id": lead_id, "events": [_event(row) for row in rows]}


def _event(row: Any) -> dict[str, Any]:
    data = json.loads(row["data"])
    return {
        "time": row["time"],
        "service": row["source"],
        "type": row["type"],
        "summary": line(row["type"], data),
        "data": data,
    }
