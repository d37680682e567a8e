"""With the production settings (https only, no loopback) a farmer's endpoint on this
machine or over plain http is refused at once, naming webhook_url."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conveyor.followup.config import Settings

from .harness import ADMIN, ADMIN_TOKEN, Followup, ManualClock, router_on, running
from .test_portfolio_rules import enrolled


@pytest.fixture
async def strict(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Followup]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'strict.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        admin_token=ADMIN_TOKEN,
    )
    async with running(settings, clock) as app:
        yield app


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1:8443/hooks", "a loopback address"),
        ("https://[::1]/hooks", "a loopback address"),
        ("https://192.168.1.20/hooks", "a private address"),
        ("http://example.com/hooks", "the scheme must be https"),
    ],
)
async def test_a_loopback_private_or_plain_http_endpoint_is_refused(
    strict: Followup, tmp_path: Path, url: str, why: str
) -> None:
    async with router_on(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}") as router:
        await enrolled(strict, router, "f-1")
    response = await strict.client.put(
        "/v1/farmers/f-1/webhook", json={"webhook_url": url}, headers=ADMIN
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "webhook_url" and why in error["reason"]
