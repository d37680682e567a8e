"""The router's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from conveyor.events.web import health_router, install_problem_handlers
from conveyor.router.bootstrap import bootstrap
from conveyor.router.config import Settings
from conveyor.router.entrypoints.api import assignments_api, reps_api


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app whose lifespan starts the router's runtime and stops it gracefully."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = bootstrap(settings or Settings())
        await service.runtime.start()
        app.state.service = service
        try:
            yield
        finally:
            await service.close()

    app = FastAPI(title="Conveyor router", version="0.1.0", lifespan=lifespan)
    install_problem_handlers(app)

    async def ready() -> dict[str, str]:
        return await app.state.service.runtime.ready()  # type: ignore[no-any-return]

    app.include_router(health_router(ready))
    app.include_router(reps_api)
    app.include_router(assignments_api)
    return app
