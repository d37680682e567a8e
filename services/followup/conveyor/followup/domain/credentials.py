"""Reps' credentials for followup's API: a random key shown once, kept as a hash
(``conveyor.apikeys`` with followup's prefix)."""

from __future__ import annotations

from conveyor import apikeys
from conveyor.apikeys import IssuedKey, hash_key, key_matches

__all__ = ["PREFIX", "IssuedKey", "hash_key", "issue_key", "key_id_of", "key_matches"]
PREFIX = "fu"


def issue_key() -> IssuedKey:
    """A fresh key ``fu_<key id>_<secret>`` with 256 random bits."""
    return apikeys.issue_key(PREFIX)


def key_id_of(key: str) -> str | None:
    """The key id a presented key names, if it has the shape of one."""
    return apikeys.key_id_of(key, PREFIX)
