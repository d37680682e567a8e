"""Command errors as problems: not found 404, forbidden 403, conflict 409."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from conveyor.events.web import Problem, problem_response
from conveyor.followup.service_layer.errors import Conflict, Forbidden, NotFound

STATUS: dict[type[Exception], tuple[int, str]] = {
    NotFound: (404, "Not found"),
    Forbidden: (403, "Forbidden"),
    Conflict: (409, "Conflict"),
}


def install(app: FastAPI) -> None:
    """Map the service layer's errors to RFC 9457 problems."""
    for error, (status, title) in STATUS.items():
        app.add_exception_handler(error, _handler(status, title))


def _handler(status: int, title: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, Problem(status, title, str(exc)))

    return handle
