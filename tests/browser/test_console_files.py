"""The console's files as the router serves them: the page, its own modules with the right
types and a strict content policy, nothing from another origin, nothing outside it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from conveyor.router.config import Settings
from conveyor.router.console import STATIC
from conveyor.router.entrypoints.app import create_app

IMPORT = re.compile(r"""from\s+["'](\.{1,2}/[^"']+)["']""")
FOREIGN = re.compile(r"https?://(?!www\.w3\.org/2000/svg)")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as http:
        yield http  # the console's files need no running service


async def test_the_console_page_is_served_under_console_with_a_strict_content_policy(
    client: httpx.AsyncClient,
) -> None:
    moved = await client.get("/console")
    page = await client.get("/console/")

    assert moved.status_code == 308
    assert moved.headers["location"] == "console/"
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert '<script type="module" src="js/main.js">' in page.text


async def test_each_console_file_is_served_with_its_type(client: httpx.AsyncClient) -> None:
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    files = [p for p in STATIC.rglob("*") if p.suffix in types]

    for path in files:
        response = await client.get(f"/console/{path.relative_to(STATIC).as_posix()}")
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(types[path.suffix]), path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert len(files) > 10


@pytest.mark.parametrize(
    "path", ["/console/nope.js", "/console/__init__.py", "/console/%2e%2e/config.py"]
)
async def test_anything_but_the_consoles_own_files_is_not_found(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_console_loads_nothing_from_another_origin_and_every_import_resolves() -> None:
    for path in STATIC.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not FOREIGN.search(text), f"{path} names another origin"
            for target in IMPORT.findall(text):
                assert (path.parent / target).resolve().is_file(), f"{path} imports {target}"
