"""Our signatures against the reference Standard Webhooks library, both ways."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conveyor.webhooks import signing
from conveyor.webhooks.signing import SignatureError

BODY = json.dumps({"lead_id": "L-1", "name": "Ada"}).encode()
MSG_ID = "msg_2f1c9a"


def test_a_generated_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = signing.generate_secret(), signing.generate_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second


def test_a_signature_is_v1_and_the_hmac_of_id_timestamp_and_body() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    expected = Webhook(secret).sign(MSG_ID, datetime.fromtimestamp(1614265330, UTC), BODY.decode())
    assert signing.sign(secret, MSG_ID, 1614265330, BODY) == expected


def test_the_reference_library_verifies_our_headers() -> None:
    secret = signing.generate_secret()
    headers = signing.headers([secret], MSG_ID, int(time.time()), BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_during_a_rotation_either_secret_alone_verifies() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = signing.headers([old, new], MSG_ID, int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
        signing.verify([secret], headers, BODY)


def test_the_reference_library_rejects_a_wrong_secret() -> None:
    headers = signing.headers([signing.generate_secret()], MSG_ID, int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(signing.generate_secret()).verify(BODY, headers)


def test_the_reference_library_rejects_a_tampered_body() -> None:
    secret = signing.generate_secret()
    headers = signing.headers([secret], MSG_ID, int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(BODY.replace(b"Ada", b"Eve"), headers)


def test_the_reference_library_rejects_a_stale_timestamp() -> None:
    secret = signing.generate_secret()
    headers = signing.headers([secret], MSG_ID, int(time.time()) - 600, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def test_we_verify_what_the_reference_library_signs() -> None:
    secret, now = signing.generate_secret(), datetime.now(UTC)
    signature = Webhook(secret).sign(MSG_ID, now, BODY.decode())
    headers = {
        "Webhook-Id": MSG_ID,
        "Webhook-Timestamp": str(int(now.timestamp())),
        "Webhook-Signature": f"v2,ignored {signature}",
    }
    signing.verify([signing.generate_secret(), secret], headers, BODY)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": BODY + b" "}, "no matching signature"),
        ({"secrets": ["whsec_" + base64.b64encode(b"x" * 32).decode()]}, "no matching signature"),
        ({"now": 1_700_000_000 + 301}, "timestamp too old"),
        ({"now": 1_700_000_000 - 301}, "timestamp too new"),
    ],
)
def test_our_verify_refuses_a_changed_body_wrong_secret_or_timestamp_outside_tolerance(
    change: dict[str, object], reason: str
) -> None:
    secret = signing.generate_secret()
    arguments: dict[str, object] = {"secrets": [secret], "body": BODY, "now": 1_700_000_000}
    headers = signing.headers([secret], MSG_ID, 1_700_000_000, BODY)
    arguments |= change
    with pytest.raises(SignatureError, match=reason):
        signing.verify(headers=headers, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_our_verify_names_a_missing_header(missing: str) -> None:
    secret = signing.generate_secret()
    headers = signing.headers([secret], MSG_ID, 1_700_000_000, BODY)
    del headers[missing]
    with pytest.raises(SignatureError, match=f"missing header {missing}"):
        signing.verify([secret], headers, BODY, now=1_700_000_000)


def test_our_verify_refuses_a_timestamp_that_is_not_whole_seconds() -> None:
    secret = signing.generate_secret()
    headers = signing.headers([secret], MSG_ID, 1_700_000_000, BODY)
    headers["webhook-timestamp"] = "1700000000.5"
    with pytest.raises(SignatureError, match="whole seconds"):
        signing.verify([secret], headers, BODY, now=1_700_000_000)


@pytest.mark.parametrize(
    "secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!"]
)
def test_a_malformed_secret_is_refused_for_signing(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook secret"):
        signing.sign(secret, MSG_ID, 1_700_000_000, BODY)


def test_signing_needs_at_least_one_secret() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        signing.headers([], MSG_ID, 1_700_000_000, BODY)


@given(
    msg_id=st.text(st.characters(codec="ascii", exclude_characters=" \r\n"), min_size=1),
    body=st.text().map(str.encode),
    key=st.binary(min_size=24, max_size=64),
    offset=st.integers(-240, 240),  # inside both tolerances, with time to spare
)
def test_any_message_we_sign_verifies_here_and_in_the_reference_library(
    msg_id: str, body: bytes, key: bytes, offset: int
) -> None:
    secret = "whsec_" + base64.b64encode(key).decode()
    now = int(time.time())
    headers = signing.headers([secret], msg_id, now + offset, body)
    signing.verify([secret], headers, body, now=now)
    Webhook(secret).verify(body, headers, json_parse=False)
