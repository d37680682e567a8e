"""GET /v1/tasks: the follow-up plan, soonest due first."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.followup.entrypoints.api.deps import ReadModelsDep

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


class Task(BaseModel):
    """A follow-up task in a farmer's plan."""

    task_id: str
    account_id: str
    farmer_id: str
    kind: str
    due_on: date
    status: str
    notes: str


@router.get("")
async def list_tasks(
    read_models: ReadModelsDep, farmer_id: str | None = None, account_id: str | None = None
) -> list[Task]:
    """Tasks, optionally of one farmer and/or one account, soonest due first."""
    found = await read_models.tasks(farmer_id=farmer_id, account_id=account_id)
    return [Task.model_validate(asdict(task)) for task in found]
