"""The HTTP shell every service shares: RFC 9457 problem details and health probes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from conveyor.events.store import ConcurrencyError

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error the caller can act on, sent as application/problem+json."""

    def __init__(
        self, status: int, title: str, detail: str = "", *, errors: Sequence[dict[str, str]] = ()
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors = status, title, detail, list(errors)


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    """Render a problem for the request."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "instance": request.url.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    """Map validation errors, HTTP errors, concurrency conflicts and Problems to RFC 9457."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return problem_response(
            request,
            Problem(422, "The request is not valid", "See errors for each field.", errors=errors),
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return problem_response(request, Problem(exc.status_code, str(exc.detail)))

    async def on_conflict(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, Problem(409, "Conflicting update", str(exc)))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(ConcurrencyError, on_conflict)


def health_router(ready: Callable[[], Awaitable[dict[str, str]]]) -> APIRouter:
    """/healthz (the process answers) and /readyz (database, bus and workers answer)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await ready()
        ok = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "not ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    return router


def _field(location: Sequence[int | str]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in location)
