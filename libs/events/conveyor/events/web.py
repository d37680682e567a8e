"""The HTTP shell every service shares: RFC 9457 problem details and health probes."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.events import logs, tracing
from conveyor.events.heap import settled_heap
from conveyor.events.runtime import Runtime
from conveyor.events.store import ConcurrencyError

access_log = logging.getLogger("conveyor.http")
QUIET_ROUTES = frozenset({"/metrics", "/healthz", "/readyz"})
PROBLEM_JSON = "application/problem+json"
NO_NATIVE_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}
"""FastAPI's own OpenTelemetry spans, metrics and logs, off: ``Measured`` gives each request
its span (in the lead's trace), its Prometheus metrics and its log line; FastAPI's would
record the request a second time and look its providers up on every request."""
PROBLEM_RESPONSE: dict[str, Any] = {
    "description": "A problem (RFC 9457): title, status, detail and, for invalid input, "
    "errors with each field and the reason",
    "content": {PROBLEM_JSON: {"schema": {"type": "object"}}},
}


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


def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """A request that failed validation as a 422 problem, each field with its reason."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in exc.errors()]
    return problem_response(
        request,
        Problem(422, "The request is not valid", "See errors for each field.", errors=errors),
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map validation errors, HTTP errors, concurrency conflicts and Problems to RFC 9457."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        return validation_problem(request, exc)

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


class RunningService(Protocol):
    """What the shared app and command line need from a bootstrapped service."""

    @property
    def runtime(self) -> Runtime:
        """The service's event runtime."""


def service_app(
    *, title: str, build: Callable[[], RunningService], routers: Sequence[APIRouter]
) -> FastAPI:
    """An app whose lifespan builds the service, starts its runtime and stops it gracefully."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = build()
        await service.runtime.start()
        app.state.service = service
        try:
            with settled_heap():
                yield
        finally:
            await service.runtime.stop()

    app = FastAPI(
        title=title,
        version="0.1.0",
        lifespan=lifespan,
        responses={422: PROBLEM_RESPONSE},
        telemetry=NO_NATIVE_TELEMETRY,
    )
    install_problem_handlers(app)

    async def ready() -> dict[str, str]:
        service = getattr(app.state, "service", None)
        return await service.runtime.ready() if service else {"runtime": "not started"}

    app.include_router(health_router(ready))
    app.include_router(metrics_router(lambda: getattr(app.state, "service", None)))
    for router in routers:
        app.include_router(router)
    instrument(app)
    return app


def metrics_router(service: Callable[[], RunningService | None]) -> APIRouter:
    """/metrics in the Prometheus text format."""
    router = APIRouter(tags=["health"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        running = service()
        if running is None:
            return Response(status_code=503)
        await running.runtime.refresh_metrics()
        body = generate_latest(running.runtime.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def instrument(app: FastAPI) -> None:
    """Count, time and log (one JSON line, with what the route annotated) every request."""
    app.add_middleware(Measured, owner=app)


class Measured:
    """ASGI middleware around every HTTP request: a correlation id (taken from the request
    or made) on its logs, trace span and response, and the request counted, timed and logged
    once served. Plain ASGI: the request runs in the caller's task, with no extra task or
    stream per request."""

    def __init__(self, app: ASGIApp, owner: FastAPI) -> None:
        self.app, self.owner = app, owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        correlation = (
            headers.get("x-correlation-id")
            or tracing.correlation_from_traceparent(headers.get("traceparent"))
            or str(uuid.uuid4())
        )
        status = 500  # unless a response starts

        async def send_marked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-correlation-id"] = correlation
            await send(message)

        with (
            logs.context(correlation=correlation),
            logs.annotated(),
            tracing.span(
                f"{scope['method']} {scope['path']}",
                correlation_id=correlation,
                kind=SpanKind.SERVER,
            ),
        ):
            try:
                await self.app(scope, receive, send_marked)
            finally:
                _served(self.owner, scope, status, time.perf_counter() - started)


def _served(app: FastAPI, scope: Scope, status: int, seconds: float) -> None:
    """Count and time a request served, and log it with the fields its route annotated."""
    method, route = scope["method"], getattr(scope.get("route"), "path", "unmatched")
    logs.annotate(method=method, route=route, status=status, duration_ms=round(seconds * 1000, 1))
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    access_log.log(level, "%s %s %d", method, scope["path"], status)
    service = getattr(app.state, "service", None)
    if service is not None and route != "/metrics":
        metrics = service.runtime.metrics
        labels = (metrics.service, method, route)
        metrics.http_requests_by(*labels, str(status)).inc()
        metrics.http_duration_by(*labels).observe(seconds)


def _field(location: Sequence[int | str]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in location)
