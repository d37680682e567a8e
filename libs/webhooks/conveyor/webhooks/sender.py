"""Delivery attempts of signed webhooks to a checked, pinned endpoint: one at a time, or
several one after another over a kept-alive connection (``WebhookSender.session``).

The sender checks the URL, resolves its host and checks every address (DNS may have changed
since the endpoint was registered), then connects to those addresses only. Redirects are never
followed, the whole attempt is bounded by a timeout and the response body is read no further
than a small cap.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal, TypeVar

import h11
import httpx

from conveyor.webhooks import signing
from conveyor.webhooks.http11 import Connection
from conveyor.webhooks.safety import (
    EndpointPolicy,
    Target,
    UnresolvableHost,
    UnsafeEndpoint,
    parse_target,
    resolve,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Outcome = Literal["delivered", "retry", "gone", "refused"]
_NETWORK_ERRORS = (h11.ProtocolError, OSError)  # OSError: ssl.SSLError, ConnectError too
_FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: delivered (2xx), gone (410), refused (unsafe now) or retry."""

    outcome: Outcome
    status_code: int | None
    error: str
    duration: float


class WebhookSender:
    """Sends signed webhooks, one attempt per call, to endpoints the policy allows."""

    def __init__(
        self,
        policy: EndpointPolicy,
        *,
        timeout: float = 5.0,
        max_response_bytes: int = 4096,
        verify: ssl.SSLContext | bool = True,
        user_agent: str = "Conveyor-Webhooks/1",
    ) -> None:
        self.policy, self.timeout, self.max_response_bytes = policy, timeout, max_response_bytes
        self.ssl_context = (
            verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        )
        self._user_agent = user_agent

    async def send(
        self,
        url: str,
        *,
        msg_id: str,
        body: bytes,
        secrets: Sequence[str],
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | None = None,
    ) -> Attempt:
        """POST one signed message to url and say how it went (ValueError only for bad secrets)."""
        async with self.session(url) as session:
            return await session.send(
                msg_id=msg_id,
                body=body,
                secrets=secrets,
                extra_headers=extra_headers,
                timestamp=timestamp,
            )

    @asynccontextmanager
    async def session(self, url: str) -> AsyncIterator[Session]:
        """Messages to one URL, one after another over a connection kept open between them
        (the host resolved and checked once, when the first is sent)."""
        session = Session(self, url)
        try:
            yield session
        finally:
            await session.aclose()

    async def aclose(self) -> None:
        """Release the sender; no connection outlives a session, so there is nothing to close."""

    def headers(
        self,
        msg_id: str,
        body: bytes,
        secrets: Sequence[str],
        extra_headers: Mapping[str, str] | None,
        timestamp: int | None,
    ) -> dict[str, str]:
        """A message's headers: the caller's extra ones, the signature and the sender's own."""
        stamp = int(time.time()) if timestamp is None else timestamp
        signed = signing.headers(secrets, msg_id, stamp, body)
        own = {"content-type": "application/json", "user-agent": self._user_agent}
        return _extra(extra_headers or {}) | signed | own


class Session:
    """Sends to one URL over one kept-alive connection; each send is one attempt, bounded by
    the sender's timeout (the first one's includes resolving and checking the host)."""

    def __init__(self, sender: WebhookSender, url: str) -> None:
        self._sender, self._url = sender, url
        self._target: Target | None = None
        self._addresses: list[str] = []
        self._connection: Connection | None = None

    async def send(
        self,
        *,
        msg_id: str,
        body: bytes,
        secrets: Sequence[str],
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | None = None,
    ) -> Attempt:
        """POST one signed message and say how it went (ValueError only for bad secrets)."""
        headers = self._sender.headers(msg_id, body, secrets, extra_headers, timestamp)
        started = time.monotonic()
        outcome, status, error = await self._attempt(headers, body)
        return Attempt(outcome, status, error, time.monotonic() - started)

    async def aclose(self) -> None:
        """Close the connection, if one is open."""
        await self._drop()

    async def _attempt(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[Outcome, int | None, str]:
        timeout = self._sender.timeout
        try:
            async with asyncio.timeout(timeout):
                status = await self._post(headers, body)
        except UnresolvableHost as error:
            return "retry", None, error.reason
        except UnsafeEndpoint as error:
            return "refused", None, error.reason
        except TimeoutError:
            return "retry", None, f"timed out after {timeout:g} s"
        except _NETWORK_ERRORS as error:
            return "retry", None, f"{type(error).__name__}: {error}"
        return _outcome(status), status, _status_error(status)

    async def _post(self, headers: dict[str, str], body: bytes) -> int:
        if self._connection is not None and not self._connection.reusable:
            await self._drop()
        if self._connection is None:
            if self._target is None:
                target = parse_target(self._url, self._sender.policy)
                self._addresses = await resolve(target.host, target.port, self._sender.policy)
                self._target = target
            self._connection = await Connection.open(
                self._target.url,
                self._target.host,
                self._target.port,
                self._addresses,
                tls=self._sender.ssl_context,
            )
        try:
            return await self._connection.post(
                list(headers.items()), body, cap=self._sender.max_response_bytes
            )
        except BaseException:  # cut off (an error, the timeout): never reused
            await self._drop()
            raise

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()


async def until_undelivered(
    run: Sequence[T], send: Callable[[T], Awaitable[Attempt]], *, budget: float
) -> list[tuple[T, Attempt]]:
    """Send a run of one endpoint's messages one after another, in order, and say what came
    of each sent: it stops after the first that is not delivered (the rest wait for it: an
    endpoint's messages never overtake each other), once ``budget`` seconds have passed (a
    slow endpoint does not hold up the others for a whole run), or when a send raises (the
    error is logged; what was sent before it is kept)."""
    sent: list[tuple[T, Attempt]] = []
    started = time.monotonic()
    for message in run:
        if sent and time.monotonic() - started >= budget:
            break
        try:
            attempt = await send(message)
        except Exception:
            log.exception("a webhook could not be sent; the run ends here")
            break
        sent.append((message, attempt))
        if attempt.outcome != "delivered":
            break
    return sent


def _extra(headers: Mapping[str, str]) -> dict[str, str]:
    """The caller's extra headers, lower-cased, without any that would change the framing."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return {name: value for name, value in lowered.items() if name not in _FRAMING_HEADERS}


def _status_error(status: int) -> str:
    if 200 <= status < 300:
        return ""
    return (
        f"HTTP {status} (redirects are not followed)" if 300 <= status < 400 else f"HTTP {status}"
    )


def _outcome(status: int) -> Outcome:
    if 200 <= status < 300:
        return "delivered"
    return "gone" if status == 410 else "retry"
