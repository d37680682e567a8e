"""Cadences as a read model, and the cadence book the handlers read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.catalogue.followup import CadenceApplied, CadencePublished, CadenceStep
from conveyor.events.codec import format_time
from conveyor.events.projection import RowProjection
from conveyor.events.rows import Rows
from conveyor.followup.adapters.tables import accounts, cadences, tasks
from conveyor.followup.domain.cadence import AccountPlan, Cadence
from conveyor.followup.domain.calendar import Place
from conveyor.followup.service_layer.planning import cadence_of
from conveyor.followup.service_layer.ports import CadenceBook

OPEN = "open"


class CadencesProjection(RowProjection):
    """The newest version of each cadence, and which one each account follows."""

    tables: Sequence[Table] = (cadences,)
    handles: frozenset[str] = frozenset({CadencePublished.event_type, CadenceApplied.event_type})

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Keep a published version; note the cadence an account now follows."""
        event = recorded.envelope.data
        if isinstance(event, CadencePublished):
            await rows.put(cadences, _published_row(event, format_time(recorded.envelope.time)))
        elif isinstance(event, CadenceApplied):
            await rows.update(accounts, {"account_id": event.account_id}, _applied(event))


def _published_row(event: CadencePublished, at: str) -> dict[str, object]:
    return {
        "cadence_id": event.cadence_id,
        "cadence_version": event.cadence_version,
        "segment": event.segment,
        "product_line": event.product_line,
        "steps": json.dumps([s.model_dump() for s in event.steps]),
        "published_at": at,
    }


def _applied(event: CadenceApplied) -> dict[str, object]:
    return {
        "cadence_id": event.cadence_id,
        "cadence_version": event.cadence_version,
        "started_on": event.started_on.isoformat(),
        "time_zone": event.time_zone,
    }


class SqlCadenceBook(CadenceBook):
    """Reads cadences and their followers in the caller's transaction."""

    async def published(self, conn: AsyncConnection) -> list[Cadence]:
        """The newest version of every published cadence."""
        rows = await conn.execute(select(cadences).order_by(cadences.c.cadence_id))
        return [cadence_of(_published(row)) for row in rows]

    async def followers(self, conn: AsyncConnection, cadence_id: str) -> list[AccountPlan]:
        """The accounts following some version of the cadence, with their open tasks."""
        query = select(accounts).where(accounts.c.cadence_id == cadence_id)
        plans = []
        for row in await conn.execute(query.order_by(accounts.c.account_id)):
            open_tasks = await _open_tasks(conn, row.account_id)
            plans.append(_plan(row, open_tasks))
        return plans


def _published(row: Row[Any]) -> CadencePublished:
    return CadencePublished(
        cadence_id=row.cadence_id,
        cadence_version=row.cadence_version,
        segment=row.segment,
        product_line=row.product_line,
        steps=tuple(CadenceStep.model_validate(s) for s in json.loads(row.steps)),
    )


async def _open_tasks(conn: AsyncConnection, account_id: str) -> tuple[str, ...]:
    query = select(tasks.c.task_id).where(tasks.c.account_id == account_id, tasks.c.status == OPEN)
    return tuple((await conn.execute(query.order_by(tasks.c.task_id))).scalars())


def _plan(row: Row[Any], open_tasks: tuple[str, ...]) -> AccountPlan:
    return AccountPlan(
        account_id=row.account_id,
        farmer_id=row.farmer_id,
        cadence_id=row.cadence_id,
        version=row.cadence_version,
        started_on=date.fromisoformat(row.started_on),
        time_zone=row.time_zone or "UTC",
        open_tasks=open_tasks,
        place=Place(row.country, row.subdivision),
    )
