"""Read models fed by followup's own events; each row depends only on the events behind it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache

from sqlalchemy import Table

from conveyor.events import Recorded
from conveyor.events.catalogue.followup import (
    AccountHandedOver,
    AccountReassigned,
    FarmerAvailabilityChanged,
    FarmerEnrolled,
    FarmerPortfolioChanged,
    FarmerWebhookChanged,
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpDue,
    FollowUpOverdue,
    FollowUpScheduled,
)
from conveyor.events.codec import format_time
from conveyor.events.projection import Projection, RowProjection
from conveyor.events.rows import Rows
from conveyor.followup.adapters.cadences import CadencesProjection
from conveyor.followup.adapters.credentials import CredentialsProjection
from conveyor.followup.adapters.orders import OrdersProjection
from conveyor.followup.adapters.tables import accounts, farmers, tasks
from conveyor.followup.adapters.timers import TimersProjection

OPEN, DUE, CANCELLED, DONE, OVERDUE = "open", "due", "cancelled", "done", "overdue"
UNDONE = (OPEN, DUE, OVERDUE)


class FarmersProjection(RowProjection):
    """Farmers, the rules of their portfolios and the size of them."""

    tables: Sequence[Table] = (farmers,)
    handles: frozenset[str] = frozenset(
        {
            FarmerEnrolled.event_type,
            FarmerPortfolioChanged.event_type,
            FarmerAvailabilityChanged.event_type,
            FarmerWebhookChanged.event_type,
            AccountHandedOver.event_type,
            AccountReassigned.event_type,
        }
    )

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Add a farmer, change their rules or endpoint, or count an account in their
        portfolio."""
        event = recorded.envelope.data
        if isinstance(event, FarmerEnrolled):
            await rows.insert(farmers, _farmer_row(event))
        elif isinstance(event, FarmerPortfolioChanged):
            await _update_farmer(rows, event.farmer_id, _rules_row(event))
        elif isinstance(event, FarmerAvailabilityChanged):
            await _update_farmer(rows, event.farmer_id, {"available": event.available})
        elif isinstance(event, FarmerWebhookChanged):
            endpoint = {"webhook_url": event.webhook_url, "webhook_status": event.status}
            await _update_farmer(rows, event.farmer_id, endpoint)
        elif isinstance(event, AccountHandedOver):
            await _count(rows, event.farmer_id, 1)
        elif isinstance(event, AccountReassigned):
            await _count(rows, event.from_farmer_id, -1)
            await _count(rows, event.to_farmer_id, 1)


class PortfolioProjection(RowProjection):
    """Accounts and their follow-up tasks."""

    tables: Sequence[Table] = (accounts, tasks)
    handles: frozenset[str] = frozenset(
        {
            AccountHandedOver.event_type,
            FollowUpScheduled.event_type,
            FollowUpDue.event_type,
            FollowUpCancelled.event_type,
            FollowUpCompleted.event_type,
            FollowUpOverdue.event_type,
            AccountReassigned.event_type,
        }
    )

    async def fold(self, recorded: Recorded, rows: Rows) -> None:
        """Add the account handed over or the task scheduled; move a task along."""
        event = recorded.envelope.data
        if isinstance(event, AccountHandedOver):
            await rows.insert(accounts, _account_row(event, recorded))
        elif isinstance(event, FollowUpScheduled):
            await rows.insert(tasks, _task_row(event))
        elif isinstance(event, FollowUpDue):
            await _task_status(rows, event.task_id, DUE, within=(OPEN,))
        elif isinstance(event, FollowUpCancelled):
            await _task_status(rows, event.task_id, CANCELLED)
        elif isinstance(event, FollowUpOverdue):
            await _task_status(rows, event.task_id, OVERDUE, escalated_to=event.escalated_to)
        elif isinstance(event, AccountReassigned):
            await _reassign(rows, event)
        elif isinstance(event, FollowUpCompleted):
            at = format_time(recorded.envelope.time)
            await _task_status(rows, event.task_id, DONE, outcome=event.outcome, completed_at=at)


def read_models() -> list[Projection]:
    """Every projection followup keeps, in the order they are applied."""
    return [
        FarmersProjection(),
        PortfolioProjection(),
        TimersProjection(),
        CadencesProjection(),
        CredentialsProjection(),
        OrdersProjection(),
    ]


async def _reassign(rows: Rows, event: AccountReassigned) -> None:
    farmer = {"farmer_id": event.to_farmer_id}
    await rows.update(accounts, {"account_id": event.account_id}, farmer)
    await rows.update(tasks, {"account_id": event.account_id, "status": UNDONE}, farmer)


async def _task_status(
    rows: Rows,
    task_id: str,
    status: str,
    *,
    within: tuple[str, ...] = UNDONE,
    **values: object,
) -> None:
    await rows.update(tasks, {"task_id": task_id, "status": within}, {"status": status, **values})


async def _count(rows: Rows, farmer_id: str, change: int) -> None:
    await rows.update(farmers, {"farmer_id": farmer_id}, add={"portfolio_size": change})


async def _update_farmer(rows: Rows, farmer_id: str, values: Mapping[str, object]) -> None:
    await rows.update(farmers, {"farmer_id": farmer_id}, values)


def _farmer_row(event: FarmerEnrolled) -> dict[str, object]:
    return {
        "farmer_id": event.farmer_id,
        "name": event.name,
        "portfolio_size": 0,
        "territories": json.dumps(sorted(event.territories)),
        "segments": json.dumps(sorted(event.segments)),
        "product_lines": json.dumps(sorted(event.product_lines)),
        "cap": None,
        "team_lead_id": event.team_lead_id,
        "time_zone": event.time_zone,
        "available": True,
        "webhook_url": event.webhook_url,
        "webhook_status": "enabled",
    }


def _rules_row(event: FarmerPortfolioChanged) -> dict[str, object]:
    return {
        "territories": json.dumps(sorted(event.territories)),
        "segments": json.dumps(sorted(event.segments)),
        "product_lines": json.dumps(sorted(event.product_lines)),
        "cap": event.cap,
        "team_lead_id": event.team_lead_id,
    }


def _account_row(event: AccountHandedOver, recorded: Recorded) -> dict[str, object]:
    return {
        "account_id": event.account_id,
        "lead_id": event.lead_id,
        "hunter_id": event.hunter_id,
        "farmer_id": event.farmer_id,
        "company": event.company,
        "handed_over_at": format_time(recorded.envelope.time),
        "client_key": event.client_key,
        "cadence_id": None,
        "cadence_version": None,
        "started_on": None,
        "time_zone": None,
        "order_count": 0,
        "last_order_at": None,
        "status": "active",
        "territories": _json_list(event.territories),
        "segment": event.segment,
        "product_lines": _json_list(event.product_lines),
        "country": event.country,
        "subdivision": event.subdivision,
    }


@lru_cache(maxsize=1024)
def _json_list(values: tuple[str, ...]) -> str:
    """Values as a JSON array, in their order (remembered: accounts share territories and
    product lines)."""
    return json.dumps(list(values))


def _task_row(event: FollowUpScheduled) -> dict[str, object]:
    return {
        "task_id": event.task_id,
        "account_id": event.account_id,
        "farmer_id": event.farmer_id,
        "kind": event.kind,
        "due_on": event.due_on.isoformat(),
        "status": OPEN,
        "notes": event.notes,
        "outcome": None,
        "completed_at": None,
        "escalated_to": None,
        "offer_code": event.offer_code,
    }
