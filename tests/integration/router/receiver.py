"""A rep's app for tests: a real HTTP server that verifies every webhook with the
``standardwebhooks`` library and can be told to fail, hang or answer 410 Gone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Receiver:
    """Per rep: the secrets to verify with, how to answer, what was received."""

    secrets: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, list[int | str]] = field(default_factory=dict)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def for_rep(self, rep_id: str) -> list[dict[str, Any]]:
        """What the rep's app accepted, in arrival order."""
        return [a for a in self.accepted if a["rep_id"] == rep_id]

    def answer(self, rep_id: str, *answers: int | str) -> None:
        """Answer the rep's next requests so (a status code, or "hang"); then 204."""
        self.answers[rep_id] = list(answers)


def create_receiver(receiver: Receiver) -> FastAPI:
    """The app; a request that does not verify with every secret given fails the test."""
    app = FastAPI()

    @app.post("/hooks/{rep_id}")
    async def hook(rep_id: str, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        verified = [_verifies(secret, body, headers) for secret in receiver.secrets[rep_id]]
        receiver.attempts.append(
            {"rep_id": rep_id, "webhook_id": headers["webhook-id"], "verified": verified}
        )
        queued = receiver.answers.get(rep_id) or []
        answer = queued.pop(0) if queued else 204
        if answer == "hang":
            await asyncio.sleep(3)
        if answer != 204:
            return Response(status_code=int(answer) if answer != "hang" else 500)
        payload = await request.json()
        receiver.accepted.append(
            {"rep_id": rep_id, "webhook_id": headers["webhook-id"], "payload": payload}
        )
        return Response(status_code=204)

    return app


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True
