"""Standard Webhooks signatures: HMAC-SHA256 over ``{id}.{timestamp}.{body}``, ``v1,`` prefixed.

Secrets look like ``whsec_<base64 key>``. An endpoint may have several current secrets while
one is being rotated: every one of them signs each message, so a receiver holding either the
old or the new secret verifies it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random_bytes
import time
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"
VERSION = "v1"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


class SignatureError(Exception):
    """A webhook failed verification; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def generate_secret() -> str:
    """A new endpoint secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(32)).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64 HMAC-SHA256>`` signature of one message under one secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature value: one signature per current secret, space-separated."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one message."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_header(secrets, msg_id, timestamp, body),
    }


def verify(
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int | None = None,
    tolerance: int = 300,
) -> None:
    """Check a received webhook against the current secrets; raise SignatureError if it fails."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id, stamp, passed = (_required(lowered, name) for name in _SIGNED_HEADERS)
    timestamp = _fresh_timestamp(
        stamp, now=int(time.time()) if now is None else now, tolerance=tolerance
    )
    expected = [_digest(sign(secret, msg_id, timestamp, body)) for secret in secrets]
    offered = [_digest(candidate) for candidate in passed.split(" ")]
    matches = [hmac.compare_digest(e, o) for e in expected for o in offered if e and o]
    if not any(matches):
        raise SignatureError("no matching signature")


_SIGNED_HEADERS = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise ValueError("a webhook secret is base64 after its prefix") from error
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def _required(headers: Mapping[str, str], name: str) -> str:
    if not (value := headers.get(name, "")):
        raise SignatureError(f"missing header {name}")
    return value


def _fresh_timestamp(stamp: str, *, now: int, tolerance: int) -> int:
    if not stamp.isascii() or not stamp.isdigit():
        raise SignatureError("webhook-timestamp is not whole seconds since the epoch")
    timestamp = int(stamp)
    if timestamp < now - tolerance:
        raise SignatureError("timestamp too old")
    if timestamp > now + tolerance:
        raise SignatureError("timestamp too new")
    return timestamp


def _digest(signature: str) -> bytes:
    """The raw bytes of a ``v1,`` signature, or empty for another version or bad base64."""
    version, _, encoded = signature.partition(",")
    if version != VERSION:
        return b""
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return b""
