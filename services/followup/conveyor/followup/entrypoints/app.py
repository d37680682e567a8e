"""The followup HTTP app: the event runtime runs for as long as the app does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from conveyor.events.web import health_router, install_problem_handlers
from conveyor.followup.bootstrap import bootstrap
from conveyor.followup.config import Settings
from conveyor.followup.entrypoints.api import accounts, farmers, tasks

NOT_STARTED = {"runtime": "not started"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; its lifespan bootstraps followup and starts and stops its runtime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = bootstrap(settings or Settings())
        await service.runtime.start()
        app.state.service = service
        try:
            yield
        finally:
            await service.runtime.stop()

    app = FastAPI(title="Conveyor followup", version="0.1.0", lifespan=lifespan)

    async def ready() -> dict[str, str]:
        service = getattr(app.state, "service", None)
        return await service.runtime.ready() if service is not None else NOT_STARTED

    install_problem_handlers(app)
    app.include_router(health_router(ready))
    for resource in (tasks, accounts, farmers):
        app.include_router(resource.router)
    return app
