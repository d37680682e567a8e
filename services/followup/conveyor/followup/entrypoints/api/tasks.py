"""/v1/tasks: the follow-up plan, and the farmer's report of a task's outcome."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Self

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator

from conveyor.followup.entrypoints.api.auth import CallerDep, RepDep
from conveyor.followup.entrypoints.api.deps import ReadModelsDep, get_service
from conveyor.followup.service_layer.commands import CompleteTask
from conveyor.followup.service_layer.tasks import complete_task

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])
Outcome = Literal["reorder_placed", "no_need_now", "call_back", "churn_risk", "lost"]


class Task(BaseModel):
    """A follow-up task in a farmer's plan."""

    task_id: str
    account_id: str
    farmer_id: str
    kind: str
    due_on: date
    status: str
    notes: str
    outcome: str | None = None
    completed_at: datetime | None = None
    escalated_to: str | None = None
    offer_code: str | None = None


class Completion(BaseModel):
    """What came of the task: reorder_placed needs amount and currency, call_back a date."""

    outcome: Outcome
    amount: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    call_back_on: date | None = None
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _needs(self) -> Self:
        missing = [f for f in _needed(self.outcome) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{self.outcome} needs {' and '.join(missing)}")
        return self


def _needed(outcome: str) -> tuple[str, ...]:
    return {"reorder_placed": ("amount", "currency"), "call_back": ("call_back_on",)}.get(
        outcome, ()
    )


@router.get("")
async def list_tasks(
    caller: CallerDep,
    read_models: ReadModelsDep,
    farmer_id: str | None = None,
    account_id: str | None = None,
) -> list[Task]:
    """Tasks, soonest due first: all for the back office; for a rep, their own and those of
    the farmers they lead."""
    visible_to = None if caller.is_admin else caller.rep_id
    found = await read_models.tasks(
        farmer_id=farmer_id, account_id=account_id, visible_to=visible_to
    )
    return [Task.model_validate(asdict(task)) for task in found]


@router.post("/{task_id}/complete")
async def complete(
    task_id: str, body: Completion, farmer_id: RepDep, request: Request, read_models: ReadModelsDep
) -> Task:
    """The farmer reports the outcome of their own task (404 for anyone else's task, 409 for
    a task done or cancelled already)."""
    command = CompleteTask(
        task_id=task_id,
        farmer_id=farmer_id,
        outcome=body.outcome,
        amount=body.amount,
        currency=body.currency,
        call_back_on=body.call_back_on,
        note=body.note,
    )
    await get_service(request).execute(complete_task, command)
    [task] = [t for t in await read_models.tasks(visible_to=farmer_id) if t.task_id == task_id]
    return Task.model_validate(asdict(task))
