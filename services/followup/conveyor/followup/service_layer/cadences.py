"""Command handlers about cadences: publish a version; move existing accounts onto it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events.catalogue.followup import CadencePublished, CadenceStep, FollowUpCancelled
from conveyor.followup.domain.cadence import AccountPlan, Cadence
from conveyor.followup.service_layer.commands import ApplyCadenceToExisting, PublishCadence
from conveyor.followup.service_layer.context import Context
from conveyor.followup.service_layer.errors import NotFound
from conveyor.followup.service_layer.planning import local_day, newest, plan_events

REPLANNED = "the account moved to a newer version of its cadence"


def cadence_stream(cadence_id: str) -> str:
    """The stream of a cadence's versions."""
    return f"cadence-{cadence_id}"


async def publish_cadence(command: PublishCadence, conn: AsyncConnection, ctx: Context) -> int:
    """Publish the cadence's next version; return its number."""
    stream = cadence_stream(command.cadence_id)
    version = await ctx.streams.version(conn, stream)
    published = CadencePublished(
        cadence_id=command.cadence_id,
        cadence_version=version + 1,
        segment=_folded(command.segment),
        product_line=_folded(command.product_line),
        steps=tuple(
            CadenceStep.model_validate(step, from_attributes=True) for step in command.steps
        ),
    )
    await ctx.streams.append(conn, stream, [published], expected_version=version)
    return version + 1


async def apply_to_existing(
    command: ApplyCadenceToExisting, conn: AsyncConnection, ctx: Context
) -> int:
    """Cancel the open tasks of older versions and plan what is left of the newest; count."""
    cadence = newest(await ctx.cadences.published(conn), command.cadence_id)
    if cadence is None:
        raise NotFound(f"no cadence has the id {command.cadence_id!r}")
    followers = await ctx.cadences.followers(conn, cadence.cadence_id)
    behind = [p for p in followers if p.version < cadence.version]
    for plan in behind:
        await _replan(conn, ctx, plan, cadence)
    return len(behind)


async def _replan(conn: AsyncConnection, ctx: Context, plan: AccountPlan, cadence: Cadence) -> None:
    today = local_day(ctx.clock.now(), plan.time_zone)
    cancelled = [
        FollowUpCancelled(task_id=t, account_id=plan.account_id, reason=REPLANNED)
        for t in plan.open_tasks
    ]
    planned = plan_events(
        cadence,
        account_id=plan.account_id,
        farmer_id=plan.farmer_id,
        started_on=plan.started_on,
        time_zone=plan.time_zone,
        holidays=ctx.calendars.holidays(plan.place),
        new_task_id=ctx.new_task_id,
        after=today,
        grace_days=ctx.grace_days,
    )
    version = await ctx.streams.version(conn, plan.account_id)
    events = [*cancelled, *planned]
    await ctx.streams.append(conn, plan.account_id, events, expected_version=version)


def _folded(value: str | None) -> str | None:
    return value.strip().casefold() if value and value.strip() else None
