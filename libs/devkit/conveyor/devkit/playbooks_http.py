"""Calls to the running services' public HTTP APIs, with errors that say which call
failed and why."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class LoadError(RuntimeError):
    """A service refused a call or could not be reached; nothing after it was done."""


@dataclass(frozen=True)
class Endpoints:
    """Where the services listen, and the admin token of each (None: none sent)."""

    intake: str
    router: str
    followup: str | None = None
    intake_token: str | None = None
    router_token: str | None = None
    followup_token: str | None = None


class Api:
    """One service's API: JSON in and out, the admin token on every call."""

    def __init__(self, name: str, base_url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.name = name
        self.client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=30)

    def call(
        self,
        method: str,
        path: str,
        *,
        ok: Collection[int] = (200, 201),
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; raise LoadError unless the answer's status is one of ``ok``."""
        try:
            response = self.client.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise LoadError(f"{self.name} at {self.client.base_url}: {exc}") from None
        if response.status_code not in ok:
            raise LoadError(f"{self.name}: {method} {path} -> {_problem(response)}")
        return response

    def get(self, path: str) -> Any:
        """GET a JSON document."""
        return self.call("GET", path).json()

    def close(self) -> None:
        """Close the connections."""
        self.client.close()


def _problem(response: httpx.Response) -> str:
    """A refusal in words: the status, the detail and each field named by a 422."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:300]}"
    if not isinstance(body, dict):
        return f"{response.status_code} {body}"
    fields = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in body.get("errors", []))
    detail = body.get("detail") or body.get("title") or ""
    return f"{response.status_code} {detail}" + (f" ({fields})" if fields else "")


def wait_for(probe: Callable[[], T | None], *, deadline: float, what: str) -> T:
    """Call probe until it returns something truthy; LoadError after the deadline."""
    end = time.monotonic() + deadline
    while True:
        if result := probe():
            return result
        if time.monotonic() > end:
            raise LoadError(f"timed out after {deadline:.0f}s waiting for {what}")
        time.sleep(0.1)
