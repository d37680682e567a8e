"""A demo rep inbox: a real HTTP server standing in for reps' apps.

It verifies every webhook's Standard Webhooks signature with the rep's secret
(``PUT /reps/{rep_id}`` gives it the secret and the rep's API key), records what it
receives (``GET /received``), shows it on a page (``GET /``) with buttons that accept,
decline or report a won deal back to the router with the rep's own key, and can be told
to fail (``POST /fail?count=N``) to exercise retries.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from conveyor.webhooks.signing import SignatureError, verify


class RepApp(BaseModel):
    """What a rep's app holds: the endpoint's signing secret and the rep's API key."""

    secret: str
    key: str | None = None


@dataclass
class Inbox:
    """What the inbox has received, and each rep's secret and key."""

    received: list[dict[str, Any]] = field(default_factory=list)
    reps: dict[str, RepApp] = field(default_factory=dict)
    fail_next: int = 0


def create_inbox_app() -> FastAPI:
    """The inbox application; state lives in app.state.inbox."""
    app = FastAPI(title="Conveyor demo rep inbox")
    app.state.inbox = Inbox()

    @app.put("/reps/{rep_id}", status_code=204)
    async def rep(rep_id: str, body: RepApp) -> None:
        app.state.inbox.reps[rep_id] = body

    @app.post("/hooks/{rep_id}")
    async def hook(rep_id: str, request: Request) -> Response:
        inbox: Inbox = app.state.inbox
        if inbox.fail_next > 0:
            inbox.fail_next -= 1
            return Response(status_code=503)
        body = await request.body()
        inbox.received.append(
            {
                "rep_id": rep_id,
                "received_at": time.time(),
                "webhook_id": request.headers.get("webhook-id"),
                "verified": _verified(inbox.reps.get(rep_id), request, body),
                "payload": await request.json(),
            }
        )
        return Response(status_code=204)

    @app.get("/received")
    async def received(rep_id: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        """What arrived, in order; after: skip that many first (to poll only what is new)."""
        got = app.state.inbox.received[max(after, 0) :]
        return [r for r in got if rep_id in (None, r["rep_id"])]

    @app.post("/fail")
    async def fail(count: int = 1) -> dict[str, int]:
        app.state.inbox.fail_next = count
        return {"fail_next": count}

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return _page(app.state.inbox.received)

    @app.post("/answer")
    async def answer(
        url: str = Form(), rep_id: str = Form(), action: str = Form(), amount: str = Form("1000.00")
    ) -> Response:
        body = {"won": {"amount": amount, "currency": "EUR"}, "decline": {"reason": "busy"}}
        rep = app.state.inbox.reps.get(rep_id)
        headers = {"Authorization": f"Bearer {rep.key}"} if rep and rep.key else {}
        async with httpx.AsyncClient(timeout=10) as client:
            await client.post(f"{url}/{action}", json=body.get(action), headers=headers)
        return RedirectResponse("/", status_code=303)

    return app


def _verified(rep: RepApp | None, request: Request, body: bytes) -> bool:
    if rep is None:
        return False
    try:
        verify([rep.secret], dict(request.headers), body)
    except SignatureError:
        return False
    return True


def _page(received: Sequence[dict[str, Any]]) -> str:
    rows = "".join(_row(item) for item in reversed(received)) or (
        "<tr><td colspan=6>No leads yet: post one to intake.</td></tr>"
    )
    return (
        "<!doctype html><title>Rep inbox</title><meta http-equiv=refresh content=3>"
        "<h1>Rep inbox</h1><table border=1 cellpadding=4><tr><th>Rep</th><th>What</th>"
        f"<th>Lead</th><th>Contact / why</th><th>Signed</th><th></th></tr>{rows}</table>"
    )


def _row(item: dict[str, Any]) -> str:
    payload = item["payload"]
    contact = payload.get("lead", {}).get("contact", {})
    who = f"{contact.get('name', '')} {contact.get('email') or ''}".strip()
    cells = [
        item["rep_id"],
        payload.get("type", ""),
        payload.get("lead_id", ""),
        f"{who} — {payload.get('explanation', '')}" if who else payload.get("reason", ""),
        "yes" if item.get("verified") else "NO",
    ]
    buttons = _buttons(item) if payload.get("type") == "lead.assigned" else ""
    return (
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + f"<td>{buttons}</td></tr>"
    )


def _buttons(item: dict[str, Any]) -> str:
    link = escape(item["payload"]["links"]["assignment"])
    rep = escape(item["rep_id"])
    return "".join(
        f"<form method=post action=/answer style=display:inline><input type=hidden name=url "
        f"value='{link}'><input type=hidden name=rep_id value='{rep}'><input type=hidden "
        f"name=action value={action}><button>{label}</button></form>"
        for action, label in (("accept", "Accept"), ("decline", "Decline"), ("won", "Deal won"))
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m conveyor.devkit.inbox --port 8004``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8004)
    args = parser.parse_args(argv)
    uvicorn.run(create_inbox_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
