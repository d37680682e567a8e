"""/v1/webhooks: the back office's view of task webhooks: the queue, dead letters, replay."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from conveyor.events import new_envelope
from conveyor.events.catalogue.followup import TaskWebhookReplayed
from conveyor.events.store import ANY_VERSION
from conveyor.events.web import Problem
from conveyor.followup.adapters.tables import webhook_queue as queue
from conveyor.followup.entrypoints.api.auth import AdminDep
from conveyor.followup.entrypoints.api.deps import get_service

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=[AdminDep])


class MessageOut(BaseModel):
    """A task webhook as the back office sees it (the body too: it is the farmer's data)."""

    message_id: str
    farmer_id: str
    account_id: str
    task_id: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    last_status: int | None
    body: str


@router.get("/queue")
async def get_queue(request: Request) -> dict[str, int]:
    """How many task webhooks are pending, delivered and dead-lettered."""
    async with get_service(request).runtime.engine.connect() as conn:
        return await queue.counts(conn)


@router.get("/dead-letters")
async def get_dead_letters(request: Request, farmer_id: str | None = None) -> list[MessageOut]:
    """Task webhooks that ran out of attempts or whose endpoint was disabled, oldest first."""
    async with get_service(request).runtime.engine.connect() as conn:
        return [_out(row) for row in await queue.dead_letters(conn, farmer_id)]


@router.post("/dead-letters/{message_id}/replay")
async def post_replay(message_id: str, request: Request) -> MessageOut:
    """Send a dead letter again, with the same webhook-id, from a fresh schedule
    (TaskWebhookReplayed); the farmer's endpoint must be enabled or it fails once more."""
    service = get_service(request)
    now = service.context.clock.now()
    async with service.runtime.engine.begin() as conn:
        row = await queue.replay(conn, message_id, service.delivery.wall.now().timestamp())
        if row is None:
            raise Problem(404, "Not found", f"no dead letter {message_id}")
        out = _out(row)
        names = ("account_id", "task_id", "farmer_id", "message_id", "kind")
        event = TaskWebhookReplayed(**{name: getattr(out, name) for name in names})
        source = service.runtime.source
        envelope = new_envelope(event, subject=out.account_id, source=source, now=now)
        await service.runtime.writer.append(
            conn, out.account_id, [envelope], expected_version=ANY_VERSION
        )
    service.runtime.committed()
    service.wake_delivery()
    return out


def _out(row: dict[str, Any]) -> MessageOut:
    """A queued message in followup's words: the farmer, the account, the task."""
    names = {"farmer_id": "endpoint_id", "account_id": "subject_id", "task_id": "reference_id"}
    return MessageOut(**{k: row[names.get(k, k)] for k in MessageOut.model_fields})
