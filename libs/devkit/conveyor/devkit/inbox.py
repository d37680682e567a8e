"""A demo rep inbox: a real HTTP server standing in for reps' apps.

It records every webhook it receives (``GET /received``), shows them on a page (``GET /``)
with a button that reports the deal won back to the router, and can be told to fail
(``POST /fail?count=N``) to exercise delivery failures.
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


@dataclass
class Inbox:
    """What the inbox has received."""

    received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0


def create_inbox_app() -> FastAPI:
    """The inbox application; state lives in app.state.inbox."""
    app = FastAPI(title="Conveyor demo rep inbox")
    app.state.inbox = Inbox()

    @app.post("/hooks/{rep_id}")
    async def hook(rep_id: str, request: Request) -> Response:
        inbox: Inbox = app.state.inbox
        if inbox.fail_next > 0:
            inbox.fail_next -= 1
            return Response(status_code=503)
        inbox.received.append(
            {
                "rep_id": rep_id,
                "received_at": time.time(),
                "webhook_id": request.headers.get("webhook-id"),
                "payload": await request.json(),
            }
        )
        return Response(status_code=204)

    @app.get("/received")
    async def received(rep_id: str | None = None) -> list[dict[str, Any]]:
        return [r for r in app.state.inbox.received if rep_id in (None, r["rep_id"])]

    @app.post("/fail")
    async def fail(count: int = 1) -> dict[str, int]:
        app.state.inbox.fail_next = count
        return {"fail_next": count}

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return _page(app.state.inbox.received)

    @app.post("/won")
    async def won(url: str = Form(), amount: str = Form("1000.00")) -> Response:
        async with httpx.AsyncClient(timeout=10) as client:
            await client.post(url, json={"amount": amount, "currency": "EUR"})
        return RedirectResponse("/", status_code=303)

    return app


def _page(received: Sequence[dict[str, Any]]) -> str:
    rows = "".join(_row(item) for item in reversed(received)) or (
        "<tr><td colspan=5>No leads yet: post one to intake.</td></tr>"
    )
    return (
        "<!doctype html><title>Rep inbox</title><meta http-equiv=refresh content=3>"
        "<h1>Rep inbox</h1><table border=1 cellpadding=4><tr><th>Rep</th><th>Lead</th>"
        f"<th>Contact</th><th>Why</th><th></th></tr>{rows}</table>"
    )


def _row(item: dict[str, Any]) -> str:
    payload = item["payload"]
    contact = payload["lead"]["contact"]
    button = (
        f"<form method=post action=/won><input type=hidden name=url "
        f"value='{escape(payload['links']['won'])}'><button>Deal won</button></form>"
    )
    cells = [
        item["rep_id"],
        payload["lead_id"],
        f"{contact['name']} {contact.get('email') or ''}",
        payload["explanation"],
    ]
    return "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + f"<td>{button}</td></tr>"


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m conveyor.devkit.inbox --port 8004``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8004)
    args = parser.parse_args(argv)
    uvicorn.run(create_inbox_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
