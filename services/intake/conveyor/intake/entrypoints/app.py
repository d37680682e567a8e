"""The intake FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from conveyor.events.logs import configure_logging
from conveyor.events.web import service_app
from conveyor.intake.bootstrap import bootstrap
from conveyor.intake.config import Settings
from conveyor.intake.entrypoints import api, batch_api, problems, qualification_api, sources_api


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; it bootstraps intake and starts its runtime in the lifespan."""
    app = service_app(
        title="Conveyor intake",
        build=lambda: bootstrap(settings or Settings()),
        routers=[batch_api.router, api.router, qualification_api.router, sources_api.router],
    )
    problems.install(app)
    return app


def worker_app() -> FastAPI:
    """The app of one of several worker processes (``CONVEYOR_INTAKE_WORKERS``): uvicorn
    imports this by name in each, which reads the settings from the environment."""
    configure_logging("conveyor-intake")
    return create_app()
