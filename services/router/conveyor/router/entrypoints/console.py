"""``/console``: the managers' and operators' web page, served from the package's static
files; the page itself reads the router's API with the caller's credential."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from conveyor.events.web import Problem
from conveyor.router.console import STATIC

console = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
HEADERS = {
    # Only the console's own files run: no inline script, nothing from another origin.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@console.get("")
async def console_root() -> RedirectResponse:
    """The console lives under /console/ so that its files resolve relative to it."""
    return RedirectResponse("console/", status_code=308)


@console.get("/")
async def console_page() -> FileResponse:
    """The console's page."""
    return _file(STATIC / "index.html")


@console.get("/{asset:path}")
async def console_asset(asset: str) -> FileResponse:
    """One of the console's files (scripts, styles, icon); 404 for anything else."""
    return _file(STATIC / asset)


def _file(path: Path) -> FileResponse:
    resolved = path.resolve()
    media_type = TYPES.get(resolved.suffix)
    if media_type is None or not resolved.is_relative_to(STATIC) or not resolved.is_file():
        raise Problem(404, "Not found", "no such console file")
    return FileResponse(resolved, media_type=media_type, headers=HEADERS)
