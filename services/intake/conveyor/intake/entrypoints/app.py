"""The intake FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from conveyor.events.web import Problem, problem_response, service_app
from conveyor.intake.bootstrap import bootstrap
from conveyor.intake.config import Settings
from conveyor.intake.domain.lead import InvalidLead
from conveyor.intake.entrypoints import api


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; it bootstraps intake and starts its runtime in the lifespan."""
    app = service_app(
        title="Conveyor intake",
        build=lambda: bootstrap(settings or Settings()),
        routers=[api.router],
    )
    app.add_exception_handler(InvalidLead, _on_invalid_lead)
    return app


async def _on_invalid_lead(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidLead)
    errors = [{"field": exc.field, "reason": exc.reason}]
    return problem_response(request, Problem(422, "The lead is not valid", str(exc), errors=errors))
