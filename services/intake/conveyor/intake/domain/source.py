"""Sources: the websites, call centres and partners allowed to post leads, and their keys."""

from __future__ import annotations

from dataclasses import dataclass

from conveyor import apikeys
from conveyor.apikeys import IssuedKey, hash_key, key_matches

__all__ = ["IssuedKey", "hash_key", "issue_key", "key_id_of", "key_matches"]

CHANNELS = ("web_form", "call_centre", "import", "api", "chat", "social", "partner")
KEY_PREFIX = "cvk"


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


def issue_key() -> IssuedKey:
    """A fresh random key shaped ``cvk_<12 hex key id>_<secret>``."""
    return apikeys.issue_key(KEY_PREFIX)


def key_id_of(key: str) -> str | None:
    """The key id inside a key, or None if the text is not shaped like a key."""
    return apikeys.key_id_of(key, KEY_PREFIX)


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
