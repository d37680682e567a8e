"""Farmers' webhook endpoints over SQL: their signing secrets and what the sender reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.followup.adapters.clocks import SystemClock
from conveyor.followup.adapters.tables import farmers, secret_store, tasks
from conveyor.followup.service_layer.messages import TaskBrief
from conveyor.followup.service_layer.ports import Clock, EndpointSecrets
from conveyor.webhooks.signing import generate_secret

ENABLED = "enabled"


@dataclass(frozen=True)
class Endpoint:
    """A farmer's app endpoint: where to send, and whether it is enabled."""

    farmer_id: str
    url: str
    status: str

    @property
    def enabled(self) -> bool:
        """Whether messages may be sent to it."""
        return self.status == ENABLED


class SqlEndpointSecrets(EndpointSecrets):
    """Secrets in the shared library's ``webhook_secrets`` table, timed by the wall clock."""

    def __init__(self, wall: Clock | None = None) -> None:
        self.wall = wall or SystemClock()

    async def issue(self, conn: AsyncConnection, farmer_id: str, *, overlap: timedelta) -> str:
        """Keep a new secret for the farmer's endpoint and return it."""
        secret, now = generate_secret(), self.wall.now()
        await secret_store.add(
            conn, farmer_id, str(uuid.uuid4()), secret, now=now, retire_at=now + overlap
        )
        return secret

    async def ensure(self, conn: AsyncConnection, farmer_id: str) -> None:
        """Keep a new secret for the farmer's endpoint unless one is in force already."""
        if not await secret_store.in_force(conn, farmer_id, self.wall.now().timestamp()):
            await self.issue(conn, farmer_id, overlap=timedelta(0))


async def endpoints(conn: AsyncConnection) -> dict[str, Endpoint]:
    """Every farmer with a webhook URL, by farmer id."""
    columns = (farmers.c.farmer_id, farmers.c.webhook_url, farmers.c.webhook_status)
    query = select(*columns).where(farmers.c.webhook_url.is_not(None))
    return {row[0]: Endpoint(*row) for row in await conn.execute(query)}


async def task_briefs(conn: AsyncConnection, task_ids: list[str]) -> dict[str, TaskBrief]:
    """What a farmer's app is told about each task, by task id."""
    if not task_ids:
        return {}
    columns = (tasks.c.task_id, tasks.c.account_id, tasks.c.farmer_id, tasks.c.kind)
    more = (tasks.c.due_on, tasks.c.notes, tasks.c.offer_code, tasks.c.status)
    query = select(*columns, *more).where(tasks.c.task_id.in_(task_ids))
    return {row.task_id: TaskBrief(*row) for row in await conn.execute(query)}
