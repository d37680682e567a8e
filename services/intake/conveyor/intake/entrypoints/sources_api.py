"""``/v1/sources``: the administrator registers sources, rotates their keys, revokes them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from conveyor.events.web import PROBLEM_RESPONSE, Problem
from conveyor.intake.entrypoints.auth import AdminDep, ServiceDep
from conveyor.intake.entrypoints.schemas import Channel
from conveyor.intake.service_layer.commands import RegisterSource, RevokeSource, RotateSourceKey

router = APIRouter(
    prefix="/v1/sources",
    tags=["sources"],
    responses={status: PROBLEM_RESPONSE for status in (401, 403, 404, 409)},
)
SourceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]


class SourceIn(BaseModel):
    """A source to register: its id (lower-case slug), name, channel and rate limit."""

    model_config = ConfigDict(extra="forbid")

    source_id: SourceId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    channel: Channel
    rate_limit_per_minute: int = Field(default=600, ge=1, le=1_000_000)


class RevocationIn(BaseModel):
    """Why a source is revoked."""

    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class SourceOut(BaseModel):
    """A registered source as the administrator sees it (never its key or hash)."""

    source_id: str
    name: str
    channel: str
    rate_limit_per_minute: int
    key_id: str
    revoked: bool
    registered_at: str


class SourceKeyOut(BaseModel):
    """A source's new API key: shown once, store it now."""

    source_id: str
    key_id: str
    api_key: str
    status: Literal["active"] = "active"


@router.post("", status_code=201)
async def register_source(body: SourceIn, _: AdminDep, service: ServiceDep) -> SourceKeyOut:
    """Register a source and hand out its first API key."""
    key = await service.register_source(RegisterSource(**body.model_dump()))
    return SourceKeyOut(source_id=body.source_id, key_id=key.key_id, api_key=key.key)


@router.get("")
async def list_sources(_: AdminDep, service: ServiceDep) -> list[SourceOut]:
    """Every registered source."""
    return [SourceOut.model_validate(row) for row in await service.sources()]


@router.get("/{source_id}")
async def read_source(source_id: str, _: AdminDep, service: ServiceDep) -> SourceOut:
    """One registered source (404 if unknown)."""
    rows = await service.sources(source_id)
    if not rows:
        raise Problem(404, "Source not found", f"No source {source_id!r} is registered.")
    return SourceOut.model_validate(rows[0])


@router.post("/{source_id}/key")
async def rotate_key(source_id: str, _: AdminDep, service: ServiceDep) -> SourceKeyOut:
    """Give the source a new API key; the previous key stops working at once."""
    key = await service.rotate_source_key(RotateSourceKey(source_id))
    return SourceKeyOut(source_id=source_id, key_id=key.key_id, api_key=key.key)


@router.post("/{source_id}/revocation", status_code=204)
async def revoke(
    source_id: str, _: AdminDep, service: ServiceDep, body: RevocationIn | None = None
) -> None:
    """Shut the source out: its key answers 401 from now on."""
    await service.revoke_source(RevokeSource(source_id, reason=body.reason if body else ""))
