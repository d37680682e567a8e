"""/v1/farmers/{id}/webhook: where a farmer's app gets its tasks, and its signing secrets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from conveyor.events.web import Problem
from conveyor.followup.entrypoints.api.auth import AdminDep
from conveyor.followup.entrypoints.api.deps import get_service
from conveyor.followup.service_layer.commands import RotateWebhookSecret, SetFarmerWebhook
from conveyor.followup.service_layer.endpoints import rotate_secret, set_webhook
from conveyor.webhooks.safety import EndpointPolicy, UnsafeEndpoint, check_endpoint

router = APIRouter(prefix="/v1/farmers", tags=["farmers"], dependencies=[AdminDep])


class WebhookIn(BaseModel):
    """The farmer's app endpoint (null: send nothing, the app reads GET /v1/tasks)."""

    webhook_url: str | None = Field(min_length=1, max_length=2000)


class WebhookOut(BaseModel):
    """The endpoint and its new signing secret, shown only here."""

    farmer_id: str
    webhook_url: str | None
    webhook_secret: str | None


class SecretOut(BaseModel):
    """A new signing secret, shown only here; the old ones sign beside it for a while."""

    farmer_id: str
    webhook_secret: str
    previous_valid_for_hours: float


@router.put("/{farmer_id}/webhook")
async def put_webhook(farmer_id: str, body: WebhookIn, request: Request) -> WebhookOut:
    """Set (or clear) a farmer's endpoint (FarmerWebhookChanged): checked, enabled, and
    signed from now on with a new secret alone; 404 for an unknown farmer."""
    service = get_service(request)
    if body.webhook_url is not None:
        await check_webhook(body.webhook_url, service.endpoint_policy)
    command = SetFarmerWebhook(farmer_id=farmer_id, webhook_url=body.webhook_url)
    secret = await service.execute(set_webhook, command)
    return WebhookOut(farmer_id=farmer_id, webhook_url=body.webhook_url, webhook_secret=secret)


@router.post("/{farmer_id}/webhook-secret", status_code=201)
async def post_webhook_secret(farmer_id: str, request: Request) -> SecretOut:
    """Rotate the farmer's signing secret: the new one is shown only here; the old one keeps
    signing beside it for the overlap window, then expires."""
    service = get_service(request)
    secret = await service.execute(rotate_secret, RotateWebhookSecret(farmer_id=farmer_id))
    hours = service.settings.webhook_secret_overlap_hours
    return SecretOut(farmer_id=farmer_id, webhook_secret=secret, previous_valid_for_hours=hours)


async def check_webhook(url: str, policy: EndpointPolicy) -> None:
    """Refuse a URL that is not https (in production) or reaches a private, loopback,
    link-local or metadata address once resolved: 422 naming webhook_url."""
    try:
        await check_endpoint(url, policy)
    except UnsafeEndpoint as error:
        errors = [{"field": "webhook_url", "reason": error.reason}]
        raise Problem(422, "Webhook URL refused", error.reason, errors=errors) from None
