"""One delivery attempt against real HTTP(S) servers on loopback: outcomes, limits and safety."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import AsyncIterator

import pytest
import trustme
from standardwebhooks.webhooks import Webhook

from conveyor.devkit.local import free_port
from conveyor.webhooks import signing
from conveyor.webhooks.safety import EndpointPolicy
from conveyor.webhooks.sender import Attempt, WebhookSender
from tests.integration.webhooks.receiver import Flood, never_reply, receiving, reply, trickle
from tests.support import wait_until

LOOPBACK_OK = EndpointPolicy(require_https=False, allow_loopback=True)
BODY = json.dumps({"type": "lead.offered", "data": {"lead_id": "L-1"}}).encode()


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    """A sender allowed to reach loopback over http (a generous timeout: machines are slow)."""
    sender = WebhookSender(LOOPBACK_OK, timeout=10.0)
    yield sender
    await sender.aclose()


async def test_a_2xx_is_delivered_with_headers_the_reference_library_verifies(
    sender: WebhookSender,
) -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    async with receiving(reply(204)) as receiver:
        attempt = await sender.send(
            f"http://127.0.0.1:{receiver.port}/hooks?rep=7",
            msg_id="msg_1",
            body=BODY,
            secrets=[old, new],
            extra_headers={"X-Conveyor-Attempt": "1", "Webhook-Id": "forged", "Host": "evil"},
        )
    assert (attempt.outcome, attempt.status_code, attempt.error) == ("delivered", 204, "")
    [request] = receiver.received
    assert (request.method, request.target, request.body) == ("POST", "/hooks?rep=7", BODY)
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Conveyor-Webhooks/1"
    assert request.headers["x-conveyor-attempt"] == "1"
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, request.headers) == json.loads(BODY)


async def test_each_attempt_of_a_message_carries_the_same_webhook_id(
    sender: WebhookSender,
) -> None:
    secret = signing.generate_secret()
    async with receiving(reply(500)) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/"
        for stamp in (1_800_000_000, 1_800_000_005):
            await sender.send(url, msg_id="msg_2", body=BODY, secrets=[secret], timestamp=stamp)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "msg_2"
    assert [first.headers["webhook-timestamp"], second.headers["webhook-timestamp"]] == [
        "1800000000",
        "1800000005",
    ]
    signing.verify([secret], second.headers, second.body, now=1_800_000_005)


async def test_a_session_sends_one_after_another_over_one_kept_alive_connection(
    sender: WebhookSender,
) -> None:
    secret = signing.generate_secret()
    async with receiving(reply(200, keep_alive=True)) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/"
        async with sender.session(url) as session:
            attempts = [
                await session.send(msg_id=f"msg_{n}", body=BODY, secrets=[secret]) for n in range(3)
            ]
        assert [a.outcome for a in attempts] == ["delivered"] * 3
        assert [r.headers["webhook-id"] for r in receiver.received] == ["msg_0", "msg_1", "msg_2"]
        assert receiver.connections == 1
    async with receiving(reply(200)) as closing:  # a receiver closing after each answer
        url = f"http://127.0.0.1:{closing.port}/"
        async with sender.session(url) as session:
            for n in range(2):
                assert (
                    await session.send(msg_id=f"m{n}", body=BODY, secrets=[secret])
                ).outcome == "delivered"
        assert closing.connections == 2


async def test_a_session_to_a_host_that_does_not_resolve_retries_each_message(
    sender: WebhookSender,
) -> None:
    async with sender.session("http://no-such-host.invalid/hook") as session:
        for n in range(2):
            attempt = await session.send(
                msg_id=f"m{n}", body=BODY, secrets=[signing.generate_secret()]
            )
            assert attempt.outcome == "retry" and attempt.status_code is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (299, "delivered"),
        (410, "gone"),
        (500, "retry"),
        (503, "retry"),
        (429, "retry"),
        (404, "retry"),
        (400, "retry"),
    ],
)
async def test_the_status_code_decides_the_outcome(
    sender: WebhookSender, status: int, outcome: str
) -> None:
    async with receiving(reply(status)) as receiver:
        attempt = await _send(sender, f"http://127.0.0.1:{receiver.port}/")
    assert (attempt.outcome, attempt.status_code) == (outcome, status)


async def test_a_redirect_is_not_followed_and_is_retried(sender: WebhookSender) -> None:
    async with receiving(reply(302, headers={"location": "/elsewhere"})) as receiver:
        attempt = await _send(sender, f"http://127.0.0.1:{receiver.port}/hook")
    assert (attempt.outcome, attempt.status_code) == ("retry", 302)
    assert "redirects are not followed" in attempt.error
    assert [request.target for request in receiver.received] == ["/hook"]


async def test_a_receiver_slower_than_the_timeout_is_cut_off_and_retried() -> None:
    sender = WebhookSender(LOOPBACK_OK, timeout=0.5)
    async with receiving(never_reply) as receiver:
        started = time.monotonic()
        attempt = await _send(sender, f"http://127.0.0.1:{receiver.port}/")
        elapsed = time.monotonic() - started
    assert (attempt.outcome, attempt.status_code) == ("retry", None)
    assert "timed out after 0.5 s" in attempt.error
    assert len(receiver.received) == 1
    assert 0.5 <= elapsed < 2.5


async def test_the_timeout_bounds_the_whole_attempt_not_each_read() -> None:
    sender = WebhookSender(LOOPBACK_OK, timeout=0.5, max_response_bytes=100_000)
    async with receiving(trickle) as receiver:
        started = time.monotonic()
        attempt = await _send(sender, f"http://127.0.0.1:{receiver.port}/")
        elapsed = time.monotonic() - started
    assert (attempt.outcome, attempt.status_code) == ("retry", None)
    assert "timed out after 0.5 s" in attempt.error
    assert 0.5 <= elapsed < 2.5


async def test_a_refused_connection_is_retried(sender: WebhookSender) -> None:
    attempt = await _send(sender, f"http://127.0.0.1:{free_port()}/")
    assert (attempt.outcome, attempt.status_code) == ("retry", None)
    assert "ConnectError" in attempt.error


async def test_a_host_that_does_not_resolve_is_retried_not_refused(sender: WebhookSender) -> None:
    attempt = await _send(sender, "http://no-such-host.invalid/")
    assert attempt.outcome == "retry"
    assert "does not resolve" in attempt.error


async def test_a_huge_response_is_not_read_beyond_the_cap() -> None:
    sender = WebhookSender(LOOPBACK_OK, timeout=30.0, max_response_bytes=4096)
    flood = Flood(size=10 * 1024 * 1024)
    async with receiving(flood) as receiver:
        attempt = await _send(sender, f"http://127.0.0.1:{receiver.port}/")
        await wait_until(flood.finished.is_set, what="the receiver to stop sending")
    assert (attempt.outcome, attempt.status_code) == ("delivered", 200)
    assert isinstance(flood.error, ConnectionError)
    assert flood.written < flood.size // 2


async def test_loopback_is_refused_unless_the_policy_allows_it(sender: WebhookSender) -> None:
    strict = WebhookSender(EndpointPolicy(require_https=False), timeout=10.0)
    async with receiving(reply(200)) as receiver:
        refused = await _send(strict, f"http://127.0.0.1:{receiver.port}/")
        allowed = await _send(sender, f"http://127.0.0.1:{receiver.port}/")
    assert (refused.outcome, refused.status_code) == ("refused", None)
    assert "loopback" in refused.error
    assert allowed.outcome == "delivered"
    assert len(receiver.received) == 1


async def test_a_host_name_is_judged_by_what_it_resolves_to() -> None:
    strict = WebhookSender(EndpointPolicy(require_https=False), timeout=10.0)
    async with receiving(reply(200)) as receiver:
        attempt = await _send(strict, f"http://localhost:{receiver.port}/")
    assert attempt.outcome == "refused"
    assert "loopback" in attempt.error
    assert receiver.received == []


async def test_plain_http_is_refused_when_https_is_required() -> None:
    sender = WebhookSender(EndpointPolicy(allow_loopback=True), timeout=10.0)
    async with receiving(reply(200)) as receiver:
        attempt = await _send(sender, f"http://127.0.0.1:{receiver.port}/")
    assert attempt.outcome == "refused"
    assert receiver.received == []


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A certificate authority for the tests' HTTPS receivers."""
    return trustme.CA()


def _tls_server(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def _trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_https_to_a_host_name_checks_sni_and_certificate_on_that_name(
    ca: trustme.CA,
) -> None:
    sender = WebhookSender(EndpointPolicy(allow_loopback=True), timeout=10.0, verify=_trusting(ca))
    async with receiving(reply(200), tls=_tls_server(ca, "localhost")) as receiver:
        attempt = await _send(sender, f"https://localhost:{receiver.port}/hook")
    assert (attempt.outcome, attempt.error) == ("delivered", "")
    assert receiver.server_names == ["localhost"]
    assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"


async def test_https_with_a_certificate_for_another_name_is_retried(ca: trustme.CA) -> None:
    sender = WebhookSender(EndpointPolicy(allow_loopback=True), timeout=10.0, verify=_trusting(ca))
    async with receiving(reply(200), tls=_tls_server(ca, "other.example")) as receiver:
        attempt = await _send(sender, f"https://localhost:{receiver.port}/hook")
    assert attempt.outcome == "retry"
    assert "certificate" in attempt.error.lower()
    assert receiver.received == []


async def test_https_with_an_untrusted_certificate_is_retried(ca: trustme.CA) -> None:
    sender = WebhookSender(EndpointPolicy(allow_loopback=True), timeout=10.0)
    async with receiving(reply(200), tls=_tls_server(ca, "localhost")) as receiver:
        attempt = await _send(sender, f"https://localhost:{receiver.port}/hook")
    assert attempt.outcome == "retry"
    assert "certificate verify failed" in attempt.error.lower()


async def _send(sender: WebhookSender, url: str) -> Attempt:
    return await sender.send(url, msg_id="msg", body=BODY, secrets=[signing.generate_secret()])
