"""The operator's view of webhook delivery: the queue's counts, dead letters, replay."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.events import new_envelope
from conveyor.events.catalogue.delivery import WebhookReplayed
from conveyor.events.store import ANY_VERSION
from conveyor.events.web import Problem
from conveyor.router.adapters.tables import webhook_queue as queue
from conveyor.router.entrypoints.auth import ADMIN
from conveyor.router.entrypoints.deps import ServiceDep

webhooks_api = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=ADMIN)


class MessageOut(BaseModel):
    """A webhook message as the operator sees it (the body too: it is the rep's data)."""

    message_id: str
    rep_id: str
    lead_id: str
    assignment_id: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    last_status: int | None
    body: str


@webhooks_api.get("/queue")
async def get_queue(service: ServiceDep) -> dict[str, int]:
    """How many messages are pending, delivered and dead-lettered."""
    async with service.runtime.engine.connect() as conn:
        return await queue.counts(conn)


@webhooks_api.get("/dead-letters", response_model=list[MessageOut])
async def get_dead_letters(service: ServiceDep, rep_id: str | None = None) -> list[MessageOut]:
    """Messages that ran out of attempts or whose endpoint was disabled, oldest first."""
    async with service.runtime.engine.connect() as conn:
        return [_out(row) for row in await queue.dead_letters(conn, rep_id)]


@webhooks_api.post("/dead-letters/{message_id}/replay", response_model=MessageOut)
async def post_replay(message_id: str, service: ServiceDep) -> MessageOut:
    """Send a dead letter again, with the same webhook-id, from a fresh schedule
    (WebhookReplayed); the rep's endpoint must be healthy again or it fails once more."""
    now = service.clock()
    async with service.unit_of_work() as uow:
        row = await queue.replay(uow.conn, message_id, now.timestamp())
        if row is None:
            raise Problem(404, "Not found", f"no dead letter {message_id}")
        out = _out(row)
        event = WebhookReplayed(
            lead_id=out.lead_id,
            assignment_id=out.assignment_id,
            rep_id=out.rep_id,
            message_id=message_id,
            kind=out.kind,
        )
        envelope = new_envelope(event, subject=out.lead_id, source=service.runtime.source, now=now)
        await uow.append(out.lead_id, [envelope], expected_version=ANY_VERSION)
    service.wake_delivery()
    return out


def _out(row: dict[str, Any]) -> MessageOut:
    """A queued message in the router's words: the rep, the lead, the assignment."""
    names = {"rep_id": "endpoint_id", "lead_id": "subject_id", "assignment_id": "reference_id"}
    return MessageOut(**{k: row[names.get(k, k)] for k in MessageOut.model_fields})
