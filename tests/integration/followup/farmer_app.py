"""A farmer's app for tests: a real HTTP server that verifies every task webhook with the
``standardwebhooks`` library, can be told to fail or answer 410 Gone, and keeps what it got."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support import running_server


@dataclass
class FarmerApp:
    """Per farmer: the secrets to verify with, how to answer, what was received."""

    url: str = ""
    secrets: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, list[int]] = field(default_factory=dict)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def hook_of(self, farmer_id: str) -> str:
        """The webhook URL of the farmer's app."""
        return f"{self.url}/hooks/{farmer_id}"

    def of(self, farmer_id: str) -> list[dict[str, Any]]:
        """What the farmer's app accepted, in arrival order."""
        return [a for a in self.accepted if a["farmer_id"] == farmer_id]

    def answer(self, farmer_id: str, *statuses: int) -> None:
        """Answer the farmer's next requests with these statuses; then 204."""
        self.answers[farmer_id] = list(statuses)


def create_farmer_app(state: FarmerApp) -> FastAPI:
    """The app; it records whether each request verifies with every secret it was given."""
    app = FastAPI()

    @app.post("/hooks/{farmer_id}")
    async def hook(farmer_id: str, request: Request) -> Response:
        body, headers = await request.body(), dict(request.headers)
        verified = [_verifies(secret, body, headers) for secret in state.secrets[farmer_id]]
        attempt = {"farmer_id": farmer_id, "webhook_id": headers["webhook-id"]}
        state.attempts.append(attempt | {"verified": verified})
        queued = state.answers.get(farmer_id) or []
        status = queued.pop(0) if queued else 204
        if status == 204 and verified and all(verified):
            state.accepted.append(attempt | {"payload": await request.json()})
        return Response(status_code=status if verified and all(verified) else 401)

    return app


@asynccontextmanager
async def farmer_app() -> AsyncIterator[FarmerApp]:
    """A farmer's app served over real HTTP on loopback for the test's duration."""
    state = FarmerApp()
    async with running_server(create_farmer_app(state)) as url:
        state.url = url
        yield state


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True
