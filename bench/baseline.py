"""The bare baseline for intake: a FastAPI endpoint on the same server settings that
validates the same lead body and does nothing else. ``python -m bench.baseline --port N``."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence

import uvicorn
from fastapi import FastAPI

from conveyor.events.web import NO_NATIVE_TELEMETRY
from conveyor.intake.entrypoints.schemas import LeadIn


def create_app() -> FastAPI:
    """POST /v1/leads: validate, answer 202."""
    app = FastAPI(telemetry=NO_NATIVE_TELEMETRY)  # as the services run

    @app.post("/v1/leads", status_code=202)
    async def post(body: LeadIn) -> dict[str, str]:
        return {"lead_id": str(uuid.uuid4())}

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the baseline."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
