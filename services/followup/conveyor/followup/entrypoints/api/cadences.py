"""/v1/cadences: versioned follow-up plans (back office)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from conveyor.followup.entrypoints.api.auth import AdminDep
from conveyor.followup.entrypoints.api.deps import ReadModelsDep, get_service
from conveyor.followup.service_layer import cadences
from conveyor.followup.service_layer.commands import (
    ApplyCadenceToExisting,
    CadenceStepSpec,
    PublishCadence,
)

router = APIRouter(prefix="/v1/cadences", tags=["cadences"], dependencies=[AdminDep])
Name = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")


class Step(BaseModel):
    """A task of the cadence: after_days from the start, then every every_days if set."""

    kind: str = Name
    after_days: int = Field(ge=0, le=3650)
    count: Literal["business_days", "calendar_days"] = "business_days"
    every_days: int | None = Field(default=None, ge=1, le=3650)
    script: str = Field(default="", max_length=2000)


class CadenceBody(BaseModel):
    """A cadence for one product line, one segment, or (neither) everyone else."""

    segment: str | None = Field(default=None, min_length=1, max_length=100)
    product_line: str | None = Field(default=None, min_length=1, max_length=100)
    steps: list[Step] = Field(min_length=1, max_length=50)


class Cadence(CadenceBody):
    """The newest version of a cadence."""

    cadence_id: str
    cadence_version: int
    published_at: str


class Published(BaseModel):
    """The version just published."""

    cadence_id: str
    cadence_version: int


class Moved(BaseModel):
    """How many accounts moved to the newest version."""

    cadence_id: str
    accounts_moved: int


@router.get("")
async def list_cadences(read_models: ReadModelsDep) -> list[Cadence]:
    """The newest version of every cadence."""
    return [Cadence.model_validate(asdict(c)) for c in await read_models.cadences()]


@router.put("/{cadence_id}")
async def publish(cadence_id: str, body: CadenceBody, request: Request) -> Published:
    """Publish the next version; accounts handed over from now on follow it."""
    steps = tuple(CadenceStepSpec(**step.model_dump()) for step in body.steps)
    command = PublishCadence(cadence_id, steps, body.segment, body.product_line)
    version = await get_service(request).execute(cadences.publish_cadence, command)
    return Published(cadence_id=cadence_id, cadence_version=version)


@router.post("/{cadence_id}/apply-to-existing")
async def apply_to_existing(cadence_id: str, request: Request) -> Moved:
    """Move accounts on older versions to the newest: open tasks cancelled, the rest planned."""
    command = ApplyCadenceToExisting(cadence_id)
    moved = await get_service(request).execute(cadences.apply_to_existing, command)
    return Moved(cadence_id=cadence_id, accounts_moved=moved)
