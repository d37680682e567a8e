"""The followup HTTP app: the event runtime runs for as long as the app does."""

from __future__ import annotations

from fastapi import FastAPI

from conveyor.events.web import service_app
from conveyor.followup.bootstrap import bootstrap
from conveyor.followup.config import Settings
from conveyor.followup.entrypoints.api import (
    accounts,
    cadences,
    credentials,
    endpoints,
    errors,
    farmers,
    kpis,
    orders,
    tasks,
    webhooks,
)
from conveyor.followup.service_layer.ports import Clock

MODULES = (tasks, accounts, orders, kpis, farmers, cadences, credentials, endpoints, webhooks)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The app; its lifespan bootstraps followup and starts and stops its runtime."""
    app = service_app(
        title="Conveyor followup",
        build=lambda: bootstrap(settings or Settings(), clock=clock),
        routers=[
            r.router
            for r in (
                tasks,
                accounts,
                orders,
                kpis,
                farmers,
                cadences,
                credentials,
                endpoints,
                webhooks,
            )
        ],
    )
    errors.install(app)
    return app
