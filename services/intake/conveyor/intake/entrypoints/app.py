"""The intake FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from conveyor.events.web import Problem, health_router, install_problem_handlers, problem_response
from conveyor.intake.bootstrap import bootstrap
from conveyor.intake.config import Settings
from conveyor.intake.domain.lead import InvalidLead
from conveyor.intake.entrypoints import api


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; it bootstraps intake and starts its runtime in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = bootstrap(settings or Settings())
        app.state.service = service
        await service.runtime.start()
        try:
            yield
        finally:
            await service.runtime.stop()

    app = FastAPI(title="Conveyor intake", version="1", lifespan=lifespan)
    install_problem_handlers(app)
    app.add_exception_handler(InvalidLead, _on_invalid_lead)

    async def ready() -> dict[str, str]:
        return await api.service_of(app).runtime.ready()

    app.include_router(health_router(ready))
    app.include_router(api.router)
    return app


async def _on_invalid_lead(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidLead)
    errors = [{"field": exc.field, "reason": exc.reason}]
    return problem_response(request, Problem(422, "The lead is not valid", str(exc), errors=errors))
