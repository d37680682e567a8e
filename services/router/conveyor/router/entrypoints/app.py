"""The router's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from conveyor.events.web import service_app
from conveyor.router.bootstrap import bootstrap, system_clock
from conveyor.router.config import Settings
from conveyor.router.entrypoints.accounts_api import accounts_api
from conveyor.router.entrypoints.api import reps_api
from conveyor.router.entrypoints.assignments import assignments_api
from conveyor.router.entrypoints.console import console
from conveyor.router.entrypoints.kpis_api import kpis_api
from conveyor.router.entrypoints.plans_api import plans_api
from conveyor.router.entrypoints.routing_api import routing_api
from conveyor.router.entrypoints.simulations_api import simulations_api
from conveyor.router.entrypoints.story_api import story_api
from conveyor.router.entrypoints.webhooks_api import webhooks_api
from conveyor.router.service_layer.ports import Clock


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> FastAPI:
    """An app whose lifespan starts the router's runtime and stops it gracefully."""
    return service_app(
        title="Conveyor router",
        build=lambda: bootstrap(settings or Settings(), clock),
        routers=[
            reps_api,
            assignments_api,
            routing_api,
            simulations_api,
            accounts_api,
            webhooks_api,
            kpis_api,
            plans_api,
            story_api,
            console,
        ],
    )
