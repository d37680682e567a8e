"""Reps' credentials: API keys for their apps, signing secrets for their webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.delivery import RepKeyIssued, RepKeyRevoked, RepWebhookSecretRotated
from conveyor.router.domain.credentials import IssuedKey, issue_key
from conveyor.router.service_layer.errors import NotFound
from conveyor.router.service_layer.ports import UnitOfWork
from conveyor.webhooks.signing import generate_secret


async def issue_rep_key(rep_id: str, uow: UnitOfWork, *, source: str, now: datetime) -> IssuedKey:
    """A new API key for the rep's app (RepKeyIssued keeps its hash only)."""
    key = issue_key()
    event = RepKeyIssued(rep_id=rep_id, key_id=key.key_id, key_hash=key.key_hash)
    await _append(rep_id, event, uow, source=source, now=now)
    return key


async def revoke_rep_key(
    rep_id: str, key_id: str, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """The key stops working at once."""
    state = await uow.routing_state()
    if state.keys.get(key_id, ("",))[0] != rep_id:
        raise NotFound(f"rep {rep_id} has no key {key_id}")
    await _append(rep_id, RepKeyRevoked(rep_id=rep_id, key_id=key_id), uow, source=source, now=now)


async def rotate_webhook_secret(
    rep_id: str, uow: UnitOfWork, *, source: str, now: datetime, overlap: timedelta
) -> str:
    """A new signing secret for the rep's endpoint; the ones before sign along with it for
    ``overlap``, then expire. Returns the new secret (kept by the router, never logged)."""
    secret_id, secret = str(uuid.uuid4()), generate_secret()
    expires = now + overlap
    had_one = await uow.add_webhook_secret(rep_id, secret_id, secret, now=now, retire_at=expires)
    event = RepWebhookSecretRotated(
        rep_id=rep_id, secret_id=secret_id, previous_expires_at=expires if had_one else None
    )
    await _append(rep_id, event, uow, source=source, now=now)
    return secret


async def _append(
    rep_id: str, event: Event, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    history = await uow.stream(rep_id)
    if not history:
        raise NotFound(f"no rep {rep_id}")
    envelope = new_envelope(event, subject=rep_id, source=source, now=now)
    await uow.append(rep_id, [envelope], expected_version=history[-1].version)
