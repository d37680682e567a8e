"""Routing policy use cases: draft a version, publish it now or at a time, roll back."""

from __future__ import annotations

from datetime import datetime

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.router import (
    RoutingPolicyDrafted,
    RoutingPolicyPublished,
    RoutingPolicyRolledBack,
)
from conveyor.router.domain.policy import PolicyError, policy_from_dict
from conveyor.router.service_layer.commands import (
    DraftPolicy,
    PublishPolicy,
    RollBackPolicy,
)
from conveyor.router.service_layer.ports import UnitOfWork

POLICY_STREAM = "routing-policy"


async def draft_policy(cmd: DraftPolicy, uow: UnitOfWork, *, source: str, now: datetime) -> int:
    """Record a checked draft; return its version number (PolicyError if it is invalid)."""
    state = await uow.routing_state()
    version = state.policies.next_version()
    policy_from_dict(version, cmd.rules, cmd.fallback)
    event = RoutingPolicyDrafted(policy_version=version, rules=cmd.rules, fallback=cmd.fallback)
    await _append(uow, event, source=source, now=now)
    return version


async def publish_policy(
    cmd: PublishPolicy, uow: UnitOfWork, *, source: str, now: datetime
) -> RoutingPolicyPublished:
    """Put a draft in force at effective_at (now when not given, never in the past)."""
    if cmd.effective_at is not None and cmd.effective_at < now:
        raise PolicyError("effective_at is in the past")
    draft = await _draft(uow, cmd.policy_version)
    event = RoutingPolicyPublished(
        policy_version=draft.policy_version,
        rules=draft.rules,
        fallback=draft.fallback,
        effective_at=cmd.effective_at or now,
    )
    await _append(uow, event, source=source, now=now)
    return event


async def roll_back_policy(
    cmd: RollBackPolicy, uow: UnitOfWork, *, source: str, now: datetime
) -> RoutingPolicyRolledBack:
    """Put back the version in force before the current one, from now on."""
    book = (await uow.routing_state()).policies
    current = book.active_version(now)
    if current == 0:
        raise PolicyError("the built-in policy is in force; there is nothing to roll back")
    event = RoutingPolicyRolledBack(
        policy_version=book.previous_version(now),
        from_version=current,
        effective_at=now,
    )
    await _append(uow, event, source=source, now=now)
    return event


async def _draft(uow: UnitOfWork, version: int) -> RoutingPolicyDrafted:
    for recorded in await uow.stream(POLICY_STREAM):
        data = recorded.envelope.data
        if isinstance(data, RoutingPolicyDrafted) and data.policy_version == version:
            return data
    raise PolicyError(f"no drafted policy version {version}")


async def _append(uow: UnitOfWork, event: Event, *, source: str, now: datetime) -> None:
    version = len(await uow.stream(POLICY_STREAM))
    envelope = new_envelope(event, subject=POLICY_STREAM, source=source, now=now)
    await uow.append(POLICY_STREAM, [envelope], expected_version=version)
