"""Quiet accounts go dormant: no first order within N days of the handover, or no order
for a while since the last one; each gets a reactivation task with the offer code."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from conveyor.events import new_envelope
from conveyor.events.catalogue.followup import AccountWentDormant, ReactivationScheduled
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.followup.config import Settings
from conveyor.followup.domain.handover import account_id_for

from .conftest import credential
from .harness import (
    ADMIN,
    ADMIN_TOKEN,
    ROUTER,
    Followup,
    ManualClock,
    Router,
    eventually,
    running,
    settle,
    utc,
)

WON = utc("2025-03-03T10:00:00")  # a Monday
ACCOUNT = account_id_for("lead-1")


@pytest.fixture
async def followup(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Followup]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        admin_token=ADMIN_TOKEN,
        first_order_within_days=10,
        dormant_after_days=20,
        reactivation_offer_code="COMEBACK10",
        reactivation_pool="winback-desk",
    )
    clock.set(WON)
    async with running(settings, clock) as app:
        yield app


async def handed_over(followup: Followup, router: Router) -> None:
    await router.register("f-1")
    await router.win("lead-1", won_at=WON)

    async def probe() -> list[Any]:
        found: list[Any] = await followup.get("/v1/tasks", account_id=ACCOUNT)
        return found

    await eventually(probe)


async def on(followup: Followup, clock: ManualClock, moment: str) -> dict[str, Any]:
    clock.set(utc(moment))
    await settle(followup)
    found: dict[str, Any] = await followup.get(f"/v1/accounts/{ACCOUNT}")
    return found


async def reactivations(followup: Followup) -> list[dict[str, Any]]:
    found = await followup.get("/v1/tasks", account_id=ACCOUNT)
    return [t for t in found if t["kind"] == "reactivation"]


async def dormancy_events(followup: Followup) -> list[Any]:
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        stream = await runtime.store.read_stream(conn, ACCOUNT)
    kinds = (AccountWentDormant, ReactivationScheduled)
    return [r.envelope.data for r in stream if isinstance(r.envelope.data, kinds)]


async def test_no_first_order_within_the_period_sends_the_account_dormant(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    await handed_over(followup, router)
    assert (await on(followup, clock, "2025-03-12T23:00:00"))["status"] == "active"
    assert (await on(followup, clock, "2025-03-13T00:00:01"))["status"] == "dormant"
    [task] = await reactivations(followup)
    assert (task["farmer_id"], task["due_on"]) == ("f-1", "2025-03-13")
    assert task["offer_code"] == "COMEBACK10" and "COMEBACK10" in task["notes"]
    dormant, scheduled = await dormancy_events(followup)
    assert dormant.reason == "no first order"
    assert (scheduled.offer_code, scheduled.task_id) == ("COMEBACK10", task["task_id"])
    assert (scheduled.farmer_id, scheduled.pool) == ("f-1", None)
    await on(followup, clock, "2025-06-01T00:00:00")
    assert len(await reactivations(followup)) == 1


async def test_orders_keep_the_account_awake_until_it_goes_quiet_again(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    await handed_over(followup, router)
    order = {"amount": "50.00", "currency": "EUR", "ordered_at": "2025-03-10T09:00:00Z"}
    posted = await followup.client.post(f"/v1/accounts/{ACCOUNT}/orders", json=order, headers=ADMIN)
    assert posted.status_code == 201
    assert (await on(followup, clock, "2025-03-20T00:00:00"))["status"] == "active"
    assert (await on(followup, clock, "2025-03-29T23:59:00"))["status"] == "active"
    assert (await on(followup, clock, "2025-03-30T00:00:01"))["status"] == "dormant"
    [dormant, _] = await dormancy_events(followup)
    assert dormant.reason == "no order"
    [task] = await reactivations(followup)
    assert task["due_on"] == "2025-03-31"  # the 30th is a Sunday
    later = {"amount": "80.00", "currency": "EUR", "ordered_at": "2025-04-02T09:00:00Z"}
    await followup.client.post(f"/v1/accounts/{ACCOUNT}/orders", json=later, headers=ADMIN)
    assert (await followup.get(f"/v1/accounts/{ACCOUNT}"))["status"] == "active"


async def test_an_account_without_a_farmer_goes_to_the_reactivation_pool_which_works_it(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    await router.win("lead-1", won_at=WON)  # no farmer enrolled: the account is unassigned
    await eventually(lambda: followup.get("/v1/tasks", account_id=ACCOUNT))
    assert (await on(followup, clock, "2025-03-13T00:00:01"))["status"] == "dormant"
    [task] = await reactivations(followup)
    assert (task["farmer_id"], task["offer_code"]) == ("winback-desk", "COMEBACK10")
    _, scheduled = await dormancy_events(followup)
    assert (scheduled.farmer_id, scheduled.pool) == ("winback-desk", "winback-desk")
    desk = await credential(followup, "winback-desk")
    [seen] = (await followup.client.get("/v1/tasks", headers=desk)).json()
    assert seen["task_id"] == task["task_id"]
    won_back = {"outcome": "reorder_placed", "amount": "75.00", "currency": "EUR"}
    path = f"/v1/tasks/{task['task_id']}/complete"
    assert (await followup.client.post(path, json=won_back, headers=desk)).status_code == 200
    assert (await followup.get(f"/v1/accounts/{ACCOUNT}"))["status"] == "active"


async def test_an_account_whose_farmer_is_away_goes_to_the_reactivation_pool(
    followup: Followup, router: Router, clock: ManualClock
) -> None:
    await handed_over(followup, router)
    away = RepAvailabilityChanged(rep_id="f-1", available=False, until=utc("2025-03-20T00:00:00"))
    await router.deliver(new_envelope(away, subject="f-1", source=ROUTER))

    async def on_leave() -> bool:
        farmers = await followup.get("/v1/farmers")
        return farmers[0]["available"] is False

    await eventually(on_leave)
    assert (await on(followup, clock, "2025-03-13T00:00:01"))["status"] == "dormant"
    [task] = await reactivations(followup)
    assert task["farmer_id"] == "winback-desk"
    assert (await followup.get(f"/v1/accounts/{ACCOUNT}"))["farmer_id"] == "f-1"
