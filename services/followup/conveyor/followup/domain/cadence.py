"""Cadences: versioned follow-up plans, chosen per product line or segment, laid out on
business days."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from conveyor.followup.domain.calendar import NOWHERE, Place, add_business_days, next_business_day
from conveyor.followup.domain.handover import AccountTraits

DEFAULT_CADENCE = "default"


@dataclass(frozen=True)
class Step:
    """One task of a cadence: after_days from the start (business or calendar days, then
    the next business day), repeated every every_days calendar days if set."""

    kind: str
    after_days: int
    business_days: bool = True
    every_days: int | None = None
    script: str = ""


@dataclass(frozen=True)
class Cadence:
    """A version of a follow-up plan and whom it is for (neither: everyone else)."""

    cadence_id: str
    version: int
    steps: tuple[Step, ...]
    segment: str | None = None
    product_line: str | None = None


@dataclass(frozen=True)
class PlannedTask:
    """A task to put in the farmer's plan."""

    kind: str
    due_on: date
    notes: str
    step: int = 0
    every_days: int | None = None


@dataclass(frozen=True)
class AccountPlan:
    """An account's place in a cadence: which version, since when, and its open tasks."""

    account_id: str
    farmer_id: str
    cadence_id: str
    version: int
    started_on: date
    time_zone: str
    open_tasks: tuple[str, ...] = ()
    place: Place = NOWHERE


def choose_cadence(cadences: Sequence[Cadence], account: AccountTraits) -> Cadence | None:
    """The cadence for the account: its product line's, else its segment's, else the default."""
    by_line = [c for c in cadences if c.product_line and c.product_line in account.product_lines]
    by_segment = [c for c in cadences if c.segment and c.segment == account.segment]
    default = [c for c in cadences if not c.segment and not c.product_line]
    for found in (by_line, by_segment, default):
        if found:
            return min(found, key=lambda c: c.cadence_id)
    return None


def lay_out(
    cadence: Cadence,
    start: date,
    *,
    holidays: Container[date],
    after: date | None = None,
    names: dict[str, str] | None = None,
) -> list[PlannedTask]:
    """The cadence's tasks from start (a repeating step: its first occurrence after after)."""
    tasks = []
    for index, step in enumerate(cadence.steps):
        due = _first_due(step, start, holidays)
        while after is not None and due <= after and step.every_days:
            due = next_occurrence(due, step.every_days, holidays)
        if after is None or due > after:
            notes = _notes(step.script, names or {})
            tasks.append(PlannedTask(step.kind, due, notes, index, step.every_days))
    return tasks


def next_occurrence(due_on: date, every_days: int, holidays: Container[date]) -> date:
    """The next date of a repeating task: every_days later, on a business day."""
    return next_business_day(due_on + timedelta(days=every_days), holidays)


def _first_due(step: Step, start: date, holidays: Container[date]) -> date:
    if step.business_days:
        return add_business_days(start, step.after_days, holidays)
    return next_business_day(start + timedelta(days=step.after_days), holidays)


def _notes(script: str, names: dict[str, str]) -> str:
    for name, value in names.items():
        script = script.replace("{" + name + "}", value)
    return script
