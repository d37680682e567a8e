"""One delivery attempt of a signed webhook to a checked, pinned endpoint.

The sender checks the URL, resolves its host and checks every address (DNS may have changed
since the endpoint was registered), then connects to those addresses only. Redirects are never
followed, the whole attempt is bounded by a timeout and the response body is read no further
than a small cap.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import httpcore
import httpx

from conveyor.webhooks import signing
from conveyor.webhooks.pinning import PinnedBackend
from conveyor.webhooks.safety import (
    EndpointPolicy,
    Target,
    UnresolvableHost,
    UnsafeEndpoint,
    parse_target,
    resolve,
)

Outcome = Literal["delivered", "retry", "gone", "refused"]
_NETWORK_ERRORS = (httpcore.NetworkError, httpcore.ProtocolError, ssl.SSLError, OSError)
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
        self._policy, self._timeout, self._cap = policy, timeout, max_response_bytes
        self._ssl = (
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
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = _extra(extra_headers or {})
        headers |= self._own_headers(signing.headers(secrets, msg_id, stamp, body))
        started = time.monotonic()
        outcome, status, error = await self._attempt(url, headers, body)
        return Attempt(outcome, status, error, time.monotonic() - started)

    async def aclose(self) -> None:
        """Release the sender; no connection outlives a send, so there is nothing to close."""

    def _own_headers(self, signed: dict[str, str]) -> dict[str, str]:
        return signed | {"content-type": "application/json", "user-agent": self._user_agent}

    async def _attempt(
        self, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[Outcome, int | None, str]:
        try:
            async with asyncio.timeout(self._timeout):
                target = parse_target(url, self._policy)
                addresses = await resolve(target.host, target.port, self._policy)
                status = await self._post(target, addresses, headers, body)
        except UnresolvableHost as error:
            return "retry", None, error.reason
        except UnsafeEndpoint as error:
            return "refused", None, error.reason
        except (TimeoutError, httpcore.TimeoutException):
            return "retry", None, f"timed out after {self._timeout:g} s"
        except _NETWORK_ERRORS as error:
            return "retry", None, f"{type(error).__name__}: {error}"
        return _outcome(status), status, _status_error(status)

    async def _post(
        self, target: Target, addresses: list[str], headers: dict[str, str], body: bytes
    ) -> int:
        backend = PinnedBackend(host=target.host, port=target.port, addresses=addresses)
        limits = {phase: self._timeout for phase in ("connect", "read", "write", "pool")}
        async with (
            httpcore.AsyncConnectionPool(
                ssl_context=self._ssl, max_connections=1, network_backend=backend
            ) as pool,
            pool.stream(
                "POST",
                target.url,
                headers=list(headers.items()),
                content=body,
                extensions={"timeout": limits},
            ) as response,
        ):
            await _read_capped(response, self._cap)
            return response.status


async def _read_capped(response: httpcore.Response, cap: int) -> None:
    """Read the response body until it ends or reaches cap bytes (the rest is never read)."""
    read = 0
    async for chunk in response.aiter_stream():
        read += len(chunk)
        if read >= cap:
            return


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
