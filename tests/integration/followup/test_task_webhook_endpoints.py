"""Farmers' endpoints: set by the back office (checked, unsafe ones refused naming
webhook_url), brought by the rep's enrolment or change, signed by secrets rotated with an
overlap."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conveyor.events import new_envelope
from conveyor.events.catalogue.followup import FarmerWebhookChanged
from conveyor.events.catalogue.router import RepRegistered, RepUpdated
from conveyor.followup.config import Settings

from .farmer_app import FarmerApp, farmer_app
from .harness import ADMIN, ROUTER, Followup, ManualClock, Router, eventually, settle
from .task_webhooks import (
    TUESDAY,
    accepted,
    hook,
    logged,
    planned,
    webhook_settings,
    win,
)
from .test_portfolio_rules import enrolled


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return webhook_settings(f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}", tmp_path)


@pytest.fixture
async def app() -> AsyncIterator[FarmerApp]:
    async with farmer_app() as state:
        yield state


async def test_a_rotated_secret_signs_beside_the_old_one(
    followup: Followup, router: Router, clock: ManualClock, app: FarmerApp
) -> None:
    await enrolled(followup, router, "f-1")
    old = await hook(followup, app, "f-1")
    response = await followup.client.post("/v1/farmers/f-1/webhook-secret", headers=ADMIN)
    assert response.status_code == 201, response.text
    new = response.json()["webhook_secret"]
    assert new != old and response.json()["previous_valid_for_hours"] == 24
    app.secrets["f-1"] = [old, new]
    await win(router, "north", "lead-1")
    await planned(followup, 1)
    clock.set(TUESDAY)
    await settle(followup)
    await accepted(app, "f-1", 1)
    assert [a["verified"] for a in app.attempts] == [[True, True]]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.0.0.7/hooks", "a private address"),
        ("http://169.254.169.254/latest/meta-data", "a cloud metadata address"),
        ("ftp://example.com/hooks", "the scheme must be https or http"),
    ],
)
async def test_an_unsafe_endpoint_is_refused_naming_webhook_url(
    followup: Followup, router: Router, url: str, why: str
) -> None:
    await enrolled(followup, router, "f-1")
    response = await followup.client.put(
        "/v1/farmers/f-1/webhook", json={"webhook_url": url}, headers=ADMIN
    )
    assert (response.status_code, response.headers["content-type"]) == (
        422,
        "application/problem+json",
    )
    [error] = response.json()["errors"]
    assert error["field"] == "webhook_url" and why in error["reason"]
    [farmer] = await followup.get("/v1/farmers")
    assert farmer["webhook_url"] is None


async def test_an_unknown_farmer_has_no_endpoint_to_set(followup: Followup) -> None:
    response = await followup.client.put(
        "/v1/farmers/nobody/webhook", json={"webhook_url": "http://127.0.0.1:9/x"}, headers=ADMIN
    )
    assert response.status_code == 404, response.text


async def test_a_farmer_enrolled_with_an_endpoint_gets_tasks_signed_by_a_secret_they_rotate_to(
    followup: Followup, router: Router, clock: ManualClock, app: FarmerApp
) -> None:
    rep = RepRegistered(rep_id="f-1", name="Fay", role="farmer", webhook_url=app.hook_of("f-1"))
    await router.deliver(new_envelope(rep, subject="f-1", source=ROUTER))
    await eventually(lambda: followup.get("/v1/farmers"))
    response = await followup.client.post("/v1/farmers/f-1/webhook-secret", headers=ADMIN)
    assert response.status_code == 201, response.text
    app.secrets["f-1"] = [response.json()["webhook_secret"]]
    await win(router, "north", "lead-1")
    await planned(followup, 1)
    clock.set(TUESDAY)
    await settle(followup)
    [got] = await accepted(app, "f-1", 1)
    assert got["payload"]["type"] == "task.due"
    assert [a["verified"] for a in app.attempts] == [[True]]


async def test_a_webhook_url_changed_with_the_rep_is_where_tasks_go_from_then_on(
    followup: Followup, router: Router, clock: ManualClock, app: FarmerApp
) -> None:
    await enrolled(followup, router, "f-1")
    changed = RepUpdated(rep_id="f-1", changes={"webhook_url": app.hook_of("f-1")})
    await router.deliver(new_envelope(changed, subject="f-1", source=ROUTER))

    async def endpoint() -> str | None:
        [farmer] = await followup.get("/v1/farmers")
        url: str | None = farmer["webhook_url"]
        return url

    assert await eventually(endpoint) == app.hook_of("f-1")
    response = await followup.client.post("/v1/farmers/f-1/webhook-secret", headers=ADMIN)
    assert response.status_code == 201, response.text
    app.secrets["f-1"] = [response.json()["webhook_secret"]]
    await win(router, "north", "lead-1")
    await planned(followup, 1)
    clock.set(TUESDAY)
    await settle(followup)
    [got] = await accepted(app, "f-1", 1)
    assert got["payload"]["type"] == "task.due"
    changes = [e for _, e in await logged(followup, FarmerWebhookChanged)]
    assert [(e.webhook_url, e.reason) for e in changes] == [
        (app.hook_of("f-1"), "changed by the rep")
    ]
