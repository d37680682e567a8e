"""Reps' API keys for the router: a random key shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "rk"


@dataclass(frozen=True)
class IssuedKey:
    """A new key: its visible id, its hash (stored) and the key itself (shown once)."""

    key_id: str
    key_hash: str
    key: str


def issue_key() -> IssuedKey:
    """A fresh key ``rk_<key id>_<secret>`` with 256 random bits."""
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedKey(key_id, hash_key(key), key)


def hash_key(key: str) -> str:
    """The SHA-256 of a key, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def rep_of(key: str, keys: Mapping[str, tuple[str, str]]) -> str | None:
    """The rep a presented key belongs to (keys: key id -> (rep id, hash)), or None."""
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret or key_id not in keys:
        return None
    rep_id, key_hash = keys[key_id]
    return rep_id if hmac.compare_digest(hash_key(key), key_hash) else None
