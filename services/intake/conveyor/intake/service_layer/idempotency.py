"""Idempotency-Key: a retried request gets the reply the first one got, never a second lead."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdempotencyKey:
    """The caller's key for one request, and a fingerprint of the request's body."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class StoredReply:
    """What a source's request under a key was answered with."""

    source_id: str
    key: str
    fingerprint: str
    lead_id: str
    duplicate_of: str | None = None


class IdempotencyKeyReused(Exception):
    """The key was used before with a different body."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different body")
        self.key = key


class ReplyAlreadyStored(Exception):
    """A concurrent request under the same key stored its reply first."""
