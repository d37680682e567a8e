"""Completing a task: only its own farmer can; the outcome may record an order, plan the
next task, or close the account's plan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Event
from conveyor.events.catalogue.followup import (
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpScheduled,
    RepeatOrderRecorded,
)
from conveyor.followup.domain.outcomes import (
    LOST,
    OPEN_STATES,
    REORDER_PLACED,
    next_task,
    overdue_on,
)
from conveyor.followup.service_layer.commands import CompleteTask
from conveyor.followup.service_layer.context import Context
from conveyor.followup.service_layer.dormancy import watch
from conveyor.followup.service_layer.errors import Conflict, NotFound
from conveyor.followup.service_layer.planning import local_day
from conveyor.followup.service_layer.ports import TaskState

ACCOUNT_LOST = "the account was lost"


async def complete_task(command: CompleteTask, conn: AsyncConnection, ctx: Context) -> None:
    """Record the outcome of the farmer's own task, and what follows from it."""
    task = await ctx.lookups.task(conn, command.task_id)
    if task is None or task.farmer_id != command.farmer_id:
        raise NotFound(f"you have no task with the id {command.task_id!r}")
    if task.status not in OPEN_STATES:
        raise Conflict(f"the task is {task.status} already")
    now = ctx.clock.now()
    events = [_completed(command, task), *_order(command, task, now, ctx)]
    events += await _what_follows(command, task, conn, ctx, now)
    version = await ctx.streams.version(conn, task.account_id)
    await ctx.streams.append(conn, task.account_id, events, expected_version=version)


def _completed(command: CompleteTask, task: TaskState) -> FollowUpCompleted:
    return FollowUpCompleted(
        task_id=task.task_id,
        account_id=task.account_id,
        outcome=command.outcome,
        farmer_id=task.farmer_id,
        amount=command.amount,
        currency=command.currency,
        call_back_on=command.call_back_on,
        note=command.note,
    )


def _order(command: CompleteTask, task: TaskState, now: datetime, ctx: Context) -> list[Event]:
    if command.outcome != REORDER_PLACED:
        return []
    assert command.amount is not None and command.currency is not None
    return [
        RepeatOrderRecorded(
            account_id=task.account_id,
            amount=command.amount,
            currency=command.currency,
            ordered_at=now,
            recorded_by=task.farmer_id,
            farmer_id=task.farmer_id,
        ),
        watch(task.account_id, now, time_zone=task.time_zone, ordered=True, quiet=ctx.quiet),
    ]


async def _what_follows(
    command: CompleteTask, task: TaskState, conn: AsyncConnection, ctx: Context, now: datetime
) -> list[Event]:
    if command.outcome == LOST:
        others = await ctx.lookups.undone_tasks(conn, task.account_id)
        return [
            FollowUpCancelled(task_id=t, account_id=task.account_id, reason=ACCOUNT_LOST)
            for t in others
            if t != task.task_id
        ]
    today = local_day(now, task.time_zone)
    holidays = ctx.calendars.holidays(task.place)
    planned = next_task(
        command.outcome, today=today, call_back_on=command.call_back_on, holidays=holidays
    )
    if planned is None:
        return []
    return [
        FollowUpScheduled(
            task_id=ctx.new_task_id(),
            account_id=task.account_id,
            farmer_id=task.farmer_id,
            kind=planned.kind,
            due_on=planned.due_on,
            notes=planned.notes,
            time_zone=task.time_zone,
            overdue_on=overdue_on(planned.due_on, ctx.grace_days, holidays),
        )
    ]
