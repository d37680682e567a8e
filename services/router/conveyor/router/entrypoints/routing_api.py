"""The router's HTTP API for routing: policies, fairness counters, and why a lead went
where it went."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from conveyor.events.catalogue.router import LeadAssigned, LeadUnroutable, RoutingPolicyDrafted
from conveyor.events.web import Problem
from conveyor.router.adapters.queries import waiting_leads
from conveyor.router.entrypoints.auth import ADMIN
from conveyor.router.entrypoints.deps import ServiceDep, ctx, run
from conveyor.router.entrypoints.rep_settings import as_utc
from conveyor.router.service_layer import policies
from conveyor.router.service_layer.commands import (
    DraftPolicy,
    PublishPolicy,
    RollBackPolicy,
)

routing_api = APIRouter(prefix="/v1", tags=["routing"], dependencies=ADMIN)


class PolicyIn(BaseModel):
    """A policy draft: ordered rules and the fallback chain ({pool, team_lead})."""

    rules: list[dict[str, Any]] = Field(min_length=1)
    fallback: dict[str, Any] = Field(default_factory=dict)


class PublishIn(BaseModel):
    """When the version takes effect (left out: now)."""

    effective_at: AwareDatetime | None = None


@routing_api.post("/routing/policies", status_code=201)
async def post_policy(body: PolicyIn, service: ServiceDep) -> dict[str, int]:
    """Draft a policy version (RoutingPolicyDrafted); it is checked, not put in force."""
    cmd = DraftPolicy(tuple(body.rules), body.fallback)
    version = await run(service, lambda uow: policies.draft_policy(cmd, uow, **ctx(service)))
    return {"policy_version": version}


@routing_api.post("/routing/policies/{version}/publish")
async def publish(version: int, body: PublishIn, service: ServiceDep) -> dict[str, Any]:
    """Put a draft in force now or at a time (RoutingPolicyPublished)."""
    at = as_utc(body.effective_at) if body.effective_at else None
    cmd = PublishPolicy(version, at)
    event = await run(service, lambda uow: policies.publish_policy(cmd, uow, **ctx(service)))
    return {"policy_version": event.policy_version, "effective_at": event.effective_at}


@routing_api.post("/routing/rollback")
async def roll_back(service: ServiceDep) -> dict[str, Any]:
    """Go back to the version in force before this one (RoutingPolicyRolledBack)."""
    cmd = RollBackPolicy()
    event = await run(service, lambda uow: policies.roll_back_policy(cmd, uow, **ctx(service)))
    return event.model_dump(mode="json")


@routing_api.get("/routing/policies")
async def get_policies(service: ServiceDep) -> dict[str, Any]:
    """Every version, when each took or takes effect, and the one in force now."""
    async with service.runtime.engine.connect() as conn:
        book = (await service.cache.refreshed(conn)).policies
    return {
        "in_force": book.active_version(service.clock()),
        "versions": sorted(book.versions),
        "activations": [a.__dict__ for a in book.activations],
    }


@routing_api.get("/routing/policies/{version}")
async def get_policy(version: int, service: ServiceDep) -> dict[str, Any]:
    """A drafted version's rules and fallback as they were drafted, and whether and when it
    took (or takes) effect."""
    async with service.runtime.engine.connect() as conn:
        stream = await service.runtime.store.read_stream(conn, policies.POLICY_STREAM)
        book = (await service.cache.refreshed(conn)).policies
    for drafted in stream:
        data = drafted.envelope.data
        if isinstance(data, RoutingPolicyDrafted) and data.policy_version == version:
            break
    else:
        raise Problem(404, "Not found", f"no drafted policy version {version}")
    return {
        "policy_version": version,
        "rules": list(data.rules),
        "fallback": data.fallback,
        "drafted_at": drafted.envelope.time.isoformat(),
        "in_force": book.active_version(service.clock()) == version,
        "activations": [a.__dict__ for a in book.activations if a.version == version],
    }


@routing_api.get("/pools/{pool}/counters")
async def get_counters(pool: str, service: ServiceDep) -> dict[str, Any]:
    """The pool's fairness counters: each rep's pass, the floor and the turns taken."""
    async with service.runtime.engine.connect() as conn:
        state = await service.cache.refreshed(conn)
    counters = state.counters.get(pool)
    if counters is None:
        raise Problem(404, "Not found", f"pool {pool} has taken no turns")
    return {"pool": pool, **counters.__dict__}


@routing_api.get("/routing/unroutable")
async def get_unroutable(
    service: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """The leads waiting because no rep could take them, oldest first: since when, why,
    and the explanation of the decision that left each waiting."""
    count, found = await waiting_leads(service.runtime, limit=limit)
    return {"waiting": count, "leads": [_waiting(since, event) for since, event in found]}


def _waiting(since: str, event: LeadUnroutable) -> dict[str, Any]:
    attempts = event.decision.get("attempts", [])
    reasons = Counter(
        _kind(str(c["excluded"]))
        for a in attempts
        for c in a.get("candidates", [])
        if c.get("excluded")
    )
    return {
        "lead_id": event.lead_id,
        "since": since,
        "reason": attempts[-1]["summary"] if attempts else "no rule matched",
        "excluded": dict(sorted(reasons.items())),
        "policy_version": event.policy_version,
        "explanation": event.reason,
        "trace": event.decision,
    }


def _kind(excluded: str) -> str:
    """An exclusion without its particulars: "daily cap reached (5/5)" -> "daily cap reached"."""
    return excluded.split(" (")[0].split(" until ")[0].split(";")[0]


@routing_api.get("/leads/{lead_id}/routing")
async def get_lead_routing(lead_id: str, service: ServiceDep) -> dict[str, Any]:
    """Every routing decision taken for the lead, with its whole explanation."""
    async with service.runtime.engine.connect() as conn:
        history = await service.runtime.store.read_stream(conn, lead_id)
    decisions = [_decision(r.envelope.data, r.envelope.time) for r in history]
    found = [d for d in decisions if d is not None]
    if not found:
        raise Problem(404, "Not found", f"the router has not routed lead {lead_id}")
    return {"lead_id": lead_id, "decisions": found}


def _decision(event: Any, at: Any) -> dict[str, Any] | None:
    if isinstance(event, LeadAssigned):
        keep = {
            "assignment_id",
            "rep_id",
            "pool",
            "rule",
            "policy_version",
            "explanation",
        }
        extra = {"counters_before", "counters_after", "strategy", "rotation"}
        return {"outcome": "assigned", "at": at, **event.model_dump(include=keep | extra),
                "trace": event.decision}  # fmt: skip
    if isinstance(event, LeadUnroutable):
        return {"outcome": "unroutable", "at": at, "explanation": event.reason,
                "policy_version": event.policy_version, "trace": event.decision}  # fmt: skip
    return None
