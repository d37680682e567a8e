"""Turning a cadence into followup's events: which plan an account follows and its tasks."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Container, Sequence
from datetime import date, datetime

from conveyor.events.catalogue.followup import (
    CadenceApplied,
    CadencePublished,
    CadenceStep,
    FollowUpScheduled,
)
from conveyor.followup.domain.cadence import Cadence, PlannedTask, Step, lay_out


def cadence_of(event: CadencePublished) -> Cadence:
    """The domain's view of a published cadence."""
    steps = tuple(_step(s) for s in event.steps)
    return Cadence(
        event.cadence_id, event.cadence_version, steps, event.segment, event.product_line
    )


def _step(step: CadenceStep) -> Step:
    business = step.count == "business_days"
    return Step(step.kind, step.after_days, business, step.every_days, step.script)


def valid_time_zone(name: str | None) -> bool:
    """Whether the name is a time zone this machine knows."""
    if not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_day(moment: datetime, time_zone: str) -> date:
    """The calendar day of a moment in a time zone."""
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def plan_events(
    cadence: Cadence,
    *,
    account_id: str,
    farmer_id: str,
    started_on: date,
    time_zone: str,
    holidays: Container[date],
    new_task_id: Callable[[], str],
    after: date | None = None,
    names: dict[str, str] | None = None,
    grace_days: int = 0,
) -> list[CadenceApplied | FollowUpScheduled]:
    """CadenceApplied and the cadence's tasks (only those due after after, if given)."""
    applied = CadenceApplied(
        account_id=account_id,
        cadence_id=cadence.cadence_id,
        cadence_version=cadence.version,
        started_on=started_on,
        time_zone=time_zone,
    )
    tasks = lay_out(cadence, started_on, holidays=holidays, after=after, names=names)
    scheduled = [
        scheduled_event(t, cadence, account_id, farmer_id, time_zone, new_task_id()) for t in tasks
    ]
    return [applied, *scheduled]


def scheduled_event(
    task: PlannedTask,
    cadence: Cadence,
    account_id: str,
    farmer_id: str,
    time_zone: str,
    task_id: str,
) -> FollowUpScheduled:
    """FollowUpScheduled for one planned task."""
    return FollowUpScheduled(
        task_id=task_id,
        account_id=account_id,
        farmer_id=farmer_id,
        kind=task.kind,
        due_on=task.due_on,
        notes=task.notes,
        time_zone=time_zone,
        cadence_id=cadence.cadence_id,
        cadence_version=cadence.version,
        step=task.step,
        every_days=task.every_days,
    )


def newest(cadences: Sequence[Cadence], cadence_id: str) -> Cadence | None:
    """The cadence with that id, if published."""
    return next((c for c in cadences if c.cadence_id == cadence_id), None)
