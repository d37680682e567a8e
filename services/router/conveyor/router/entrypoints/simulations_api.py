"""``POST /v1/routing/simulations``: replay a period of the log through a draft policy."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from conveyor.events.web import Problem
from conveyor.router.adapters.queries import read_log
from conveyor.router.domain.policy import Policy, PolicyError, policy_from_dict
from conveyor.router.entrypoints.auth import ADMIN
from conveyor.router.entrypoints.deps import ServiceDep
from conveyor.router.entrypoints.rep_settings import as_utc
from conveyor.router.entrypoints.schemas import RepPatch
from conveyor.router.service_layer.replay import simulate

simulations_api = APIRouter(prefix="/v1/routing", tags=["routing"], dependencies=ADMIN)
SIMULATED = -1  # the version number a policy given inline is simulated under


class SimulationIn(BaseModel):
    """A drafted version (or rules given inline), a period, and roster changes to try."""

    policy_version: int | None = None
    rules: list[dict[str, Any]] | None = None
    fallback: dict[str, Any] = Field(default_factory=dict)
    start: AwareDatetime
    end: AwareDatetime
    roster: dict[str, RepPatch] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_policy(self) -> SimulationIn:
        if (self.policy_version is None) == (self.rules is None):
            raise ValueError("give either policy_version or rules")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


@simulations_api.post("/simulations")
async def post_simulation(body: SimulationIn, service: ServiceDep) -> dict[str, Any]:
    """Per-lead differences, per-rep load before and after, unroutable counts; no state
    changes (nothing is appended, nothing is published)."""
    policy = await _policy(body, service)
    result = await asyncio.to_thread(  # long and CPU-bound: keep the event loop serving
        simulate,
        await read_log(service.runtime),
        policy,
        start=as_utc(body.start),
        end=as_utc(body.end),
        matching=service.matching,
        roster={rep_id: patch.changes() for rep_id, patch in body.roster.items()},
    )
    return {"policy_version": policy.version, **result.summary()}


async def _policy(body: SimulationIn, service: ServiceDep) -> Policy:
    if body.rules is not None:
        try:
            return policy_from_dict(SIMULATED, body.rules, body.fallback)
        except PolicyError as exc:
            errors = [{"field": "rules", "reason": str(exc)}]
            raise Problem(422, "The policy is not valid", str(exc), errors=errors) from None
    async with service.runtime.engine.connect() as conn:
        versions = (await service.cache.refreshed(conn)).policies.versions
    if body.policy_version not in versions:
        raise Problem(404, "Not found", f"no policy version {body.policy_version}")
    return versions[body.policy_version]
