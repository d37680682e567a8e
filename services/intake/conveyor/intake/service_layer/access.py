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
