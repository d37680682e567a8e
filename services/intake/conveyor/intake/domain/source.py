"""Sources: the websites, call centres and partners allowed to post leads, and their keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

CHANNELS = ("web_form", "call_centre", "import", "api", "chat", "social", "partner")
KEY_PREFIX = "cvk"
_KEY_SHAPE = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_[A-Za-z0-9_-]{{20,}}$")


class SourceError(Exception):
    """A request about a source that its current state does not allow."""

    template = "source {!r}"

    def __init__(self, source_id: str) -> None:
        super().__init__(self.template.format(source_id))
        self.source_id = source_id


class SourceExists(SourceError):
    """A source with that id is already registered."""

    template = "A source {!r} is already registered."


class UnknownSource(SourceError):
    """No source has that id."""

    template = "No source {!r} is registered."


class SourceIsRevoked(SourceError):
    """The source was revoked; it cannot be given a key or revoked again."""

    template = "The source {!r} is revoked."


@dataclass(frozen=True)
class IssuedKey:
    """A new API key: its visible id, its hash (stored) and the key itself (shown once)."""

    key_id: str
    key_hash: str
    key: str


def issue_key() -> IssuedKey:
    """A fresh random key shaped ``cvk_<12 hex key id>_<secret>``."""
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedKey(key_id=key_id, key_hash=hash_key(key), key=key)


def hash_key(key: str) -> str:
    """The SHA-256 (hex) under which a key is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str | None:
    """The key id inside a key, or None if the text is not shaped like a key."""
    match = _KEY_SHAPE.match(key)
    return match.group(1) if match else None


def key_matches(key: str, key_hash: str) -> bool:
    """Whether a presented key is the one stored under key_hash (constant time)."""
    return hmac.compare_digest(hash_key(key), key_hash)


@dataclass
class Source:
    """A registered source as its history leaves it."""

    source_id: str
    channel: str
    revoked: bool = False

    def rotate_key(self) -> IssuedKey:
        """A new key for a source that is still allowed in."""
        if self.revoked:
            raise SourceIsRevoked(self.source_id)
        return issue_key()

    def revoke(self) -> None:
        """Shut the source out; revoking twice is an error the caller hears of."""
        if self.revoked:
            raise SourceIsRevoked(self.source_id)
        self.revoked = True
