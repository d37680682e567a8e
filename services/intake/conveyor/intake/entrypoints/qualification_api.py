"""Qualification by hand (``/v1/leads/{id}/qualification``) and the checklist's versions."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from conveyor.events import logs
from conveyor.events.web import PROBLEM_RESPONSE, Problem
from conveyor.intake.domain.checklist import OPERATORS
from conveyor.intake.entrypoints.auth import AdminDep, CallerDep, ServiceDep
from conveyor.intake.service_layer.qualifying import QualifyByHand

router = APIRouter(tags=["qualification"], responses={s: PROBLEM_RESPONSE for s in (401, 403, 404)})
Outcome = Literal["target", "nurture", "reject"]
Answer = str | int | float | bool | None
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QualificationIn(_Body):
    """An operator's checklist answers and, if they decide it, the outcome."""

    operator: Name
    answers: dict[Name, Answer] = Field(default_factory=dict)
    outcome: Outcome | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class VerdictOut(BaseModel):
    """A verdict and everything behind it."""

    lead_id: str
    outcome: Outcome
    score: int
    temperature: str
    reasons: list[str]
    lead_type: str
    checklist_version: int
    recheck_on: date | None
    qualified_by: str


class RuleIn(_Body):
    """A condition on one fact, the reason it gives and (for signals) its points."""

    field: Name
    op: Literal[OPERATORS]  # type: ignore[valid-type]
    reason: Name
    value: Any = None
    weight: int = Field(default=0, ge=-100, le=100)

    @model_validator(mode="after")
    def _pattern_compiles(self) -> Self:
        if self.op == "matches":
            re.compile(str(self.value))
        return self


class ChecklistIn(_Body):
    """A checklist to publish as the next version."""

    required: list[Name] = Field(default_factory=list)
    disqualifiers: list[RuleIn] = Field(default_factory=list)
    signals: list[RuleIn] = Field(default_factory=list)
    target_from: int = Field(default=40, ge=0, le=100)
    nurture_from: int = Field(default=20, ge=0, le=100)
    hot_from: int = Field(default=70, ge=0, le=100)
    warm_from: int = Field(default=40, ge=0, le=100)
    recheck_days: int = Field(default=30, ge=1, le=3650)


class ChecklistOut(ChecklistIn):
    """A published checklist with its version."""

    version: int


@router.post("/v1/leads/{lead_id}/qualification")
async def qualify_by_hand(
    lead_id: str, body: QualificationIn, caller: CallerDep, service: ServiceDep
) -> VerdictOut:
    """Record an operator's verdict on the caller's lead (the admin's: any lead)."""
    logs.annotate(lead_id=lead_id)
    row = await service.lead_status(lead_id)
    if (
        row is None
        or row["duplicate_of"]
        or not (caller.is_admin or row["source"] == caller.source_id)
    ):
        raise Problem(404, "Lead not found", f"Intake has no lead {lead_id!r} for you.")
    cmd = QualifyByHand(lead_id, body.operator, body.answers, body.outcome, body.note)
    verdict = await service.qualify_by_hand(cmd)
    return VerdictOut(
        lead_id=lead_id,
        recheck_on=verdict.recheck_on,
        qualified_by=f"operator:{body.operator}",
        **{k: v for k, v in vars(verdict).items() if k != "recheck_on"},
    )


@router.post("/v1/checklists", status_code=201, tags=["checklists"])
async def publish_checklist(body: ChecklistIn, _: AdminDep, service: ServiceDep) -> ChecklistOut:
    """Publish the next checklist version; every verdict after it names that version."""
    version = await service.publish_checklist(body.model_dump())
    return ChecklistOut(version=version, **body.model_dump())


@router.get("/v1/checklists/current", tags=["checklists"])
async def current_checklist(_: AdminDep, service: ServiceDep) -> ChecklistOut:
    """The checklist in force."""
    return ChecklistOut.model_validate((await service.current_checklist()).to_dict())
