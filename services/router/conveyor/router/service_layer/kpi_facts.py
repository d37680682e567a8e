"""The KPI facts an event changes: one table of patchers over the whole catalogue."""

from __future__ import annotations

from datetime import datetime

from conveyor.events import Event
from conveyor.router.service_layer.kpi_patch import Patch, Patcher, stamp
from conveyor.router.service_layer.kpi_sales_facts import SALES
from conveyor.router.service_layer.kpi_team_facts import TEAM

PATCHERS: dict[type, Patcher] = SALES | TEAM


def patches(data: Event, time: datetime) -> list[Patch]:
    """The patches an event that happened at ``time`` makes (none for events the KPIs do
    not read)."""
    patcher = PATCHERS.get(type(data))
    return patcher(data, stamp(time)) if patcher else []
