"""Who is calling: a registered source (by its API key) or the administrator."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.intake.domain.source import key_matches


class NotAuthenticated(Exception):
    """The credential is missing, unknown or revoked; the message says which."""


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: a source (source_id set) or the administrator (None)."""

    source_id: str | None
    channel: str = "api"
    rate_limit_per_minute: int = 0

    @property
    def is_admin(self) -> bool:
        """Whether this is the administrator rather than a source."""
        return self.source_id is None


ADMIN = Caller(source_id=None)


@dataclass(frozen=True)
class KeyedSource:
    """A source's caller, known by the id of the key its request came with; the request is
    not counted against the source's rate limit yet."""

    caller: Caller
    key_id: str


def is_admin_token(token: str, admin_token: str) -> bool:
    """Whether token is the configured admin token (never true when none is configured)."""
    return bool(admin_token) and hmac.compare_digest(token.encode(), admin_token.encode())


def source_caller(key: str, source: Mapping[str, Any] | None) -> Caller:
    """The source a key belongs to, given the source row found under the key's id."""
    if source is None or not key_matches(key, source["key_hash"]):
        raise NotAuthenticated("The API key is not known.")
    if source["revoked"]:
        raise NotAuthenticated("The API key's source has been revoked.")
    return Caller(
        source_id=source["source_id"],
        channel=source["channel"],
        rate_limit_per_minute=source["rate_limit_per_minute"],
    )


@dataclass(frozen=True)
class _KnownKey:
    caller: Caller
    key_hash: str


class KnownKeys:
    """What never changes for a key id, kept after the first lookup: its source, the
    source's channel and rate limit, and the key's hash (a rotation makes a new key id).

    Whether the key is still current and its source not revoked changes: ask the database
    on every request (the rate limiter does, in the statement that counts the request).
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._known: dict[str, _KnownKey] = {}

    def caller(self, key: str, key_id: str) -> Caller | None:
        """The source a key was found to belong to, if this key id was seen with this key."""
        known = self._known.get(key_id)
        return known.caller if known is not None and key_matches(key, known.key_hash) else None

    def remember(self, key_id: str, caller: Caller, key_hash: str) -> None:
        """Keep what a lookup found for a key id."""
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[key_id] = _KnownKey(caller, key_hash)

    def forget(self, key_id: str) -> None:
        """Drop a key id (rotated away or its source revoked)."""
        self._known.pop(key_id, None)
