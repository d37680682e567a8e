"""Read models fed by followup's own events; each row depends only on the events behind it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Recorded
from conveyor.events.catalogue.followup import (
    AccountHandedOver,
    FarmerEnrolled,
    FollowUpDue,
    FollowUpScheduled,
)
from conveyor.events.codec import format_time
from conveyor.events.projection import Projection
from conveyor.followup.adapters.tables import accounts, farmers, tasks
from conveyor.followup.adapters.timers import TimersProjection

OPEN, DUE = "open", "due"


class FarmersProjection:
    """Farmers and the size of their portfolios."""

    tables: Sequence[Table] = (farmers,)
    handles: frozenset[str] = frozenset({FarmerEnrolled.event_type, AccountHandedOver.event_type})

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Add an enrolled farmer, or count a handed-over account in its farmer's portfolio."""
        event = recorded.envelope.data
        if isinstance(event, FarmerEnrolled):
            row = {"farmer_id": event.farmer_id, "name": event.name, "portfolio_size": 0}
            await conn.execute(insert(farmers).values(row))
        elif isinstance(event, AccountHandedOver):
            size = farmers.c.portfolio_size + 1
            where = farmers.c.farmer_id == event.farmer_id
            await conn.execute(update(farmers).where(where).values(portfolio_size=size))


class PortfolioProjection:
    """Accounts and their follow-up tasks."""

    tables: Sequence[Table] = (accounts, tasks)
    handles: frozenset[str] = frozenset(
        {AccountHandedOver.event_type, FollowUpScheduled.event_type, FollowUpDue.event_type}
    )

    async def apply(self, recorded: Recorded, conn: AsyncConnection) -> None:
        """Add the account handed over or the task scheduled; mark a task due."""
        event = recorded.envelope.data
        if isinstance(event, AccountHandedOver):
            await conn.execute(insert(accounts).values(_account_row(event, recorded)))
        elif isinstance(event, FollowUpScheduled):
            await conn.execute(insert(tasks).values(_task_row(event)))
        elif isinstance(event, FollowUpDue):
            where = (tasks.c.task_id == event.task_id) & (tasks.c.status == OPEN)
            await conn.execute(update(tasks).where(where).values(status=DUE))


def read_models() -> list[Projection]:
    """Every projection followup keeps, in the order they are applied."""
    return [FarmersProjection(), PortfolioProjection(), TimersProjection()]


def _account_row(event: AccountHandedOver, recorded: Recorded) -> dict[str, object]:
    return {
        "account_id": event.account_id,
        "lead_id": event.lead_id,
        "hunter_id": event.hunter_id,
        "farmer_id": event.farmer_id,
        "company": None,  # AccountHandedOver does not carry it (yet)
        "handed_over_at": format_time(recorded.envelope.time),
    }


def _task_row(event: FollowUpScheduled) -> dict[str, object]:
    return {
        "task_id": event.task_id,
        "account_id": event.account_id,
        "farmer_id": event.farmer_id,
        "kind": event.kind,
        "due_on": event.due_on.isoformat(),
        "status": OPEN,
        "notes": event.notes,
    }
