"""Errors the router's use cases raise for the API to map to problems."""

from __future__ import annotations


class NotFound(LookupError):
    """The thing the command names does not exist."""


class Forbidden(PermissionError):
    """The caller may not act on what the command names (another rep's assignment)."""
