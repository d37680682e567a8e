"""What a timer appends when it fires, given what the scheduler looked up for it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from datetime import date

from conveyor.events import Event
from conveyor.events.catalogue.followup import (
    AccountWatched,
    AccountWentDormant,
    FollowUpDue,
    FollowUpOverdue,
    FollowUpScheduled,
    NurtureRecheckDue,
    ReactivationScheduled,
)
from conveyor.followup.domain.cadence import next_occurrence
from conveyor.followup.domain.calendar import (
    add_business_days,
    business_days_between,
    next_business_day,
)
from conveyor.followup.domain.dormancy import REACTIVATION, REACTIVATION_POOL, reactivation_notes
from conveyor.followup.domain.outcomes import overdue_on
from conveyor.followup.domain.timers import DORMANCY, NURTURE, TASK_DUE, TASK_OVERDUE, Timer


@dataclass(frozen=True)
class Firing:
    """What a firing may need: the calendar, the farmer's lead, the account's farmer now
    (for a dormancy: None when the account has no active farmer) and the offer."""

    holidays: Container[date] = frozenset()
    team_lead: str | None = None
    farmer_id: str | None = None
    offer_code: str | None = None
    grace_days: int = 0
    new_task_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    reactivation_pool: str = REACTIVATION_POOL


def fire(timer: Timer, firing: Firing | None = None) -> list[Event]:
    """The events that record a timer's firing (they must end it)."""
    firing = firing or Firing()
    if timer.kind == NURTURE:
        reasons = tuple(r for r in timer.payload["reasons"].split("\n") if r)
        return [NurtureRecheckDue(lead_id=timer.payload["lead_id"], reasons=reasons)]
    if timer.kind == DORMANCY:
        return dormant(AccountWatched.model_validate_json(timer.payload["watched"]), firing)
    task = FollowUpScheduled.model_validate_json(timer.payload["scheduled"])
    task = task.model_copy(update={"farmer_id": firing.farmer_id or task.farmer_id})
    if timer.kind == TASK_OVERDUE:
        return [overdue(task, firing.team_lead)]
    if timer.kind != TASK_DUE:
        raise ValueError(f"no firing for timers of kind {timer.kind!r}")
    due: list[Event] = [FollowUpDue(task_id=task.task_id, account_id=task.account_id)]
    if task.every_days:
        due.append(next_time(task, firing.holidays))
    return due


def overdue(task: FollowUpScheduled, team_lead: str | None) -> FollowUpOverdue:
    """The task passed its day (and grace) undone: escalated to the farmer's team lead."""
    return FollowUpOverdue(
        task_id=task.task_id,
        account_id=task.account_id,
        farmer_id=task.farmer_id,
        due_on=task.due_on,
        escalated_to=team_lead,
    )


def next_time(task: FollowUpScheduled, holidays: Container[date]) -> FollowUpScheduled:
    """The next occurrence of a repeating task (its id derived from the one before)."""
    assert task.every_days
    next_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:task:{task.task_id}:next"))
    due_on = next_occurrence(task.due_on, task.every_days, holidays)
    grace = business_days_between(task.due_on, task.overdue_on, holidays) if task.overdue_on else 1
    overdue_day = add_business_days(due_on, grace, holidays)
    return task.model_copy(update={"task_id": next_id, "due_on": due_on, "overdue_on": overdue_day})


def dormant(watched: AccountWatched, firing: Firing) -> list[Event]:
    """The account went dormant: a reactivation task with the offer code, for its farmer or,
    when it has no active farmer, for the reactivation pool."""
    pool = None if firing.farmer_id else firing.reactivation_pool
    farmer_id = firing.farmer_id or firing.reactivation_pool
    task_id = firing.new_task_id()
    due_on = next_business_day(watched.dormant_on, firing.holidays)
    return [
        AccountWentDormant(
            account_id=watched.account_id, since=watched.since, reason=watched.reason
        ),
        ReactivationScheduled(
            account_id=watched.account_id,
            task_id=task_id,
            offer_code=firing.offer_code,
            farmer_id=farmer_id,
            pool=pool,
        ),
        FollowUpScheduled(
            task_id=task_id,
            account_id=watched.account_id,
            farmer_id=farmer_id,
            kind=REACTIVATION,
            due_on=due_on,
            notes=reactivation_notes(watched.reason, firing.offer_code),
            time_zone=watched.time_zone,
            overdue_on=overdue_on(due_on, firing.grace_days, firing.holidays),
            offer_code=firing.offer_code,
        ),
    ]
