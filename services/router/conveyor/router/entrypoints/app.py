"""The router's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from conveyor.events.web import service_app
from conveyor.router.bootstrap import bootstrap
from conveyor.router.config import Settings
from conveyor.router.entrypoints.api import assignments_api, reps_api


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app whose lifespan starts the router's runtime and stops it gracefully."""
    return service_app(
        title="Conveyor router",
        build=lambda: bootstrap(settings or Settings()),
        routers=[reps_api, assignments_api],
    )
