"""The follow-up plan of a freshly handed-over account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from conveyor.followup.domain.calendar import add_business_days

ONBOARDING_CALL = "onboarding_call"


@dataclass(frozen=True)
class PlannedTask:
    """A task to put in the farmer's plan."""

    kind: str
    due_on: date
    notes: str


def plan_first_task(won_on: date, *, first_task_days: int, client: str, deal: str) -> PlannedTask:
    """The onboarding call, first_task_days business days after the deal was won."""
    return PlannedTask(
        kind=ONBOARDING_CALL,
        due_on=add_business_days(won_on, first_task_days),
        notes=f"Onboarding call with {client} after the first deal ({deal}).",
    )
