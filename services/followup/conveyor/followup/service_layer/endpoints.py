"""Command handlers about farmers' webhook endpoints: the URL and its signing secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope
from conveyor.events.catalogue.followup import FarmerWebhookChanged
from conveyor.events.catalogue.router import RepUpdated
from conveyor.followup.service_layer.commands import RotateWebhookSecret, SetFarmerWebhook
from conveyor.followup.service_layer.context import Context
from conveyor.followup.service_layer.errors import NotFound
from conveyor.followup.service_layer.ports import EndpointSecrets
from conveyor.followup.service_layer.streams import Streams, farmer_stream


async def set_webhook(command: SetFarmerWebhook, conn: AsyncConnection, ctx: Context) -> str | None:
    """Record the farmer's endpoint (enabled again if it was disabled) and return its new
    secret, which alone signs from now on (None when the endpoint is cleared)."""
    stream = farmer_stream(command.farmer_id)
    version = await _enrolled(conn, ctx, command.farmer_id)
    changed = FarmerWebhookChanged(
        farmer_id=command.farmer_id,
        webhook_url=command.webhook_url,
        status="enabled",
        reason="set by the back office" if command.webhook_url else "cleared by the back office",
    )
    await ctx.streams.append(conn, stream, [changed], expected_version=version)
    if command.webhook_url is None:
        return None
    return await _secrets(ctx).issue(conn, command.farmer_id, overlap=timedelta(0))


async def rotate_secret(command: RotateWebhookSecret, conn: AsyncConnection, ctx: Context) -> str:
    """A new secret for the farmer's endpoint; the ones before it sign beside it for the
    overlap window, then expire."""
    await _enrolled(conn, ctx, command.farmer_id)
    return await _secrets(ctx).issue(conn, command.farmer_id, overlap=ctx.secret_overlap)


async def follow_rep_update(
    envelope: Envelope,
    conn: AsyncConnection,
    *,
    streams: Streams,
    secrets: EndpointSecrets,
    committed: Callable[[], None],
) -> None:
    """A farmer's webhook_url changed in the router: followup sends to the new one (enabled,
    keeping the secrets in force, or with a first one if there is none)."""
    update = envelope.data
    assert isinstance(update, RepUpdated)
    if "webhook_url" not in update.changes:
        return
    stream = farmer_stream(update.rep_id)
    if not (version := await streams.version(conn, stream)):
        return  # not a farmer
    url = str(update.changes["webhook_url"]) if update.changes["webhook_url"] else None
    changed = FarmerWebhookChanged(
        farmer_id=update.rep_id, webhook_url=url, status="enabled", reason="changed by the rep"
    )
    await streams.append(conn, stream, [changed], expected_version=version, cause=envelope)
    if url is not None:
        await secrets.ensure(conn, update.rep_id)
    committed()


async def _enrolled(conn: AsyncConnection, ctx: Context, farmer_id: str) -> int:
    """The farmer's stream version; NotFound when they are not enrolled."""
    version = await ctx.streams.version(conn, farmer_stream(farmer_id))
    if version == 0:
        raise NotFound(f"no farmer has the id {farmer_id!r}")
    return version


def _secrets(ctx: Context) -> EndpointSecrets:
    if ctx.secrets is None:
        raise RuntimeError("followup was built without a store for webhook secrets")
    return ctx.secrets
