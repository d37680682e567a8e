"""Intake's errors as RFC 9457 problems: domain and service errors, each with its status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from conveyor.events.web import Problem, problem_response, validation_problem
from conveyor.intake.domain.lead import InvalidFields, InvalidLead
from conveyor.intake.domain.source import SourceExists, SourceIsRevoked, UnknownSource
from conveyor.intake.service_layer.access import NotAuthenticated
from conveyor.intake.service_layer.idempotency import IdempotencyKeyReused
from conveyor.intake.service_layer.qualifying import UnknownLead
from conveyor.intake.service_layer.rate_limits import RateLimited

AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="conveyor-intake"'}


class HeaderedProblem(Problem):
    """A problem sent with extra response headers (Retry-After, WWW-Authenticate)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        headers: Mapping[str, str],
        errors: Sequence[dict[str, str]] = (),
    ) -> None:
        super().__init__(status, title, detail, errors=errors)
        self.headers = dict(headers)


STATUS: dict[type[Exception], tuple[int, str]] = {
    SourceExists: (409, "The source already exists"),
    UnknownSource: (404, "Source not found"),
    SourceIsRevoked: (409, "The source is revoked"),
    IdempotencyKeyReused: (409, "Idempotency-Key reused with a different body"),
    UnknownLead: (404, "Lead not found"),
}


def install(app: FastAPI) -> None:
    """Register intake's exception handlers on the app."""
    app.add_exception_handler(HeaderedProblem, _on_headered)
    app.add_exception_handler(NotAuthenticated, _on_not_authenticated)
    app.add_exception_handler(RateLimited, _on_rate_limited)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
    app.add_exception_handler(InvalidLead, _on_invalid_lead)
    app.add_exception_handler(InvalidFields, _on_invalid_fields)
    for error in STATUS:
        app.add_exception_handler(error, _on_known)


async def _on_headered(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HeaderedProblem)
    response = problem_response(request, exc)
    response.headers.update(exc.headers)
    return response


async def _on_not_authenticated(request: Request, exc: Exception) -> JSONResponse:
    problem = HeaderedProblem(401, "Not authenticated", str(exc), headers=AUTHENTICATE)
    return await _on_headered(request, problem)


async def _on_rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    headers = {"Retry-After": str(int(exc.retry_after))}
    problem = HeaderedProblem(429, "Too many requests", str(exc), headers=headers)
    return await _on_headered(request, problem)


async def _on_invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """A source's request that fails validation still counts against its rate limit (its
    key known, the request not counted yet: ``auth.get_keyed_source``), and a refused one
    is answered as such (429, or 401 for a key no longer current)."""
    admit: Callable[[], Awaitable[object]] | None = getattr(request.state, "admit", None)
    if admit is not None:
        try:
            await admit()
        except RateLimited as refused:
            return await _on_rate_limited(request, refused)
        except NotAuthenticated as refused:
            return await _on_not_authenticated(request, refused)
    return validation_problem(request, exc)


async def _on_invalid_lead(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidLead)
    errors = [{"field": exc.field, "reason": exc.reason}]
    return problem_response(request, Problem(422, "The lead is not valid", str(exc), errors=errors))


async def _on_invalid_fields(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidFields)
    errors = [{"field": field, "reason": reason} for field, reason in exc.errors]
    detail = "See errors for each field."
    return problem_response(request, Problem(422, "The lead is not valid", detail, errors=errors))


async def _on_known(request: Request, exc: Exception) -> JSONResponse:
    status, title = STATUS[type(exc)]
    return problem_response(request, Problem(status, title, str(exc)))
