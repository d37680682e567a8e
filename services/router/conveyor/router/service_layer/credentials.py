"""Reps' credentials: API keys for their apps, signing secrets for their webhooks."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from conveyor.apikeys import IssuedKey, issue_key, key_id_of, key_matches
from conveyor.events.catalogue.delivery import RepKeyIssued, RepKeyRevoked, RepWebhookSecretRotated
from conveyor.router.service_layer.errors import NotFound
from conveyor.router.service_layer.handlers import append_to_rep
from conveyor.router.service_layer.ports import UnitOfWork
from conveyor.webhooks.signing import generate_secret

KEY_PREFIX = "rk"


async def issue_rep_key(rep_id: str, uow: UnitOfWork, *, source: str, now: datetime) -> IssuedKey:
    """A new API key for the rep's app (RepKeyIssued keeps its hash only)."""
    key = issue_key(KEY_PREFIX)
    event = RepKeyIssued(rep_id=rep_id, key_id=key.key_id, key_hash=key.key_hash)
    await append_to_rep(rep_id, event, uow, source=source, now=now)
    return key


async def revoke_rep_key(
    rep_id: str, key_id: str, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """The key stops working at once."""
    state = await uow.routing_state()
    if state.keys.get(key_id, ("",))[0] != rep_id:
        raise NotFound(f"rep {rep_id} has no key {key_id}")
    revoked = RepKeyRevoked(rep_id=rep_id, key_id=key_id)
    await append_to_rep(rep_id, revoked, uow, source=source, now=now)


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
    await append_to_rep(rep_id, event, uow, source=source, now=now)
    return secret


def rep_of(key: str, keys: Mapping[str, tuple[str, str]]) -> str | None:
    """The rep a presented key belongs to (keys: key id -> (rep id, hash)), or None."""
    key_id = key_id_of(key, KEY_PREFIX)
    if key_id is None or key_id not in keys:
        return None
    rep_id, key_hash = keys[key_id]
    return rep_id if key_matches(key, key_hash) else None
