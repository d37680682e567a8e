"""Reps' credentials for followup's API: a random key shown once, kept as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "fu"


@dataclass(frozen=True)
class IssuedKey:
    """A new key: its visible id, its hash (stored) and the key itself (shown once)."""

    key_id: str
    key_hash: str
    key: str


def issue_key() -> IssuedKey:
    """A fresh key ``fu_<key id>_<secret>`` with 256 random bits."""
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedKey(key_id, hash_key(key), key)


def hash_key(key: str) -> str:
    """The SHA-256 of a key, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str | None:
    """The key id a presented key names, if it has the shape of one."""
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    return key_id if prefix == PREFIX and key_id and secret else None


def key_matches(key: str, key_hash: str) -> bool:
    """Whether a presented key is the one stored under key_hash (constant time)."""
    return hmac.compare_digest(hash_key(key), key_hash)
