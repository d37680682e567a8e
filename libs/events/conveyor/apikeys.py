"""API keys for the callers of Conveyor's services (sources, reps' and farmers' apps): a
random key shaped ``<prefix>_<12 hex key id>_<secret>``, shown once and kept only as its
SHA-256. Standard library only, so services' domains may use it."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class IssuedKey:
    """A new API key: its visible id, its hash (stored) and the key itself (shown once)."""

    key_id: str
    key_hash: str
    key: str


def issue_key(prefix: str) -> IssuedKey:
    """A fresh key with 256 random bits behind a 48-bit key id."""
    key_id = secrets.token_hex(6)
    key = f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedKey(key_id=key_id, key_hash=hash_key(key), key=key)


def hash_key(key: str) -> str:
    """The SHA-256 (hex) under which a key is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str, prefix: str) -> str | None:
    """The key id inside a key, or None if the text is not shaped like one of prefix's."""
    match = re.fullmatch(rf"{re.escape(prefix)}_([0-9a-f]{{12}})_[A-Za-z0-9_-]{{20,}}", key)
    return match.group(1) if match else None


def key_matches(key: str, key_hash: str) -> bool:
    """Whether a presented key is the one stored under key_hash (constant time)."""
    return hmac.compare_digest(hash_key(key), key_hash)
