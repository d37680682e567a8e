"""Repeat orders feed the KPIs: per account and per farmer, how many and how much (per
currency), counted once each, for the farmer who held the account when it ordered, and
the same after the read models are rebuilt from the log."""

from typing import Any

from conveyor.events import new_envelope
from conveyor.events.catalogue.router import RepUpdated
from conveyor.events.projection import rebuild
from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN, ROUTER, Followup, Router, eventually

NORTH, SOUTH = account_id_for("lead-1"), account_id_for("lead-2")


async def order(followup: Followup, account_id: str, headers: dict[str, str], **body: str) -> None:
    sent = {"currency": "EUR", "ordered_at": "2025-03-20T10:00:00Z", **body}
    path = f"/v1/accounts/{account_id}/orders"
    response = await followup.client.post(path, json=sent, headers=headers)
    assert response.status_code in (200, 201), response.text


async def figures(followup: Followup, path: str, headers: dict[str, str]) -> Any:
    response = await followup.client.get(path, headers=headers)
    return response.json() if response.status_code == 200 else response.status_code


async def test_repeat_orders_count_per_account_and_per_farmer(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    f1, f2 = team["f-1"], team["f-2"]
    await order(followup, NORTH, f1, amount="300.00")
    await order(followup, NORTH, ADMIN, amount="120.50", order_ref="ERP-7")
    await order(followup, NORTH, ADMIN, amount="120.50", order_ref="ERP-7")  # a retry
    await order(followup, NORTH, ADMIN, amount="50.00", currency="USD")
    [task] = (await followup.client.get("/v1/tasks", headers=f1)).json()
    reorder = {"outcome": "reorder_placed", "amount": "80.00", "currency": "EUR"}
    done = await followup.client.post(
        f"/v1/tasks/{task['task_id']}/complete", json=reorder, headers=f1
    )
    assert done.status_code == 200, done.text
    await order(followup, SOUTH, f2, amount="10.00")

    north = {"count": 4, "amounts": {"EUR": "500.50", "USD": "50.00"}, "accounts": 1}
    assert await figures(followup, f"/v1/accounts/{NORTH}/repeat-orders", f1) == {
        "account_id": NORTH,
        **north,
    }
    assert await figures(followup, "/v1/farmers/f-1/repeat-orders", f1) == {
        "farmer_id": "f-1",
        **north,
    }
    assert await figures(followup, "/v1/farmers/f-2/repeat-orders", ADMIN) == {
        "farmer_id": "f-2",
        "count": 1,
        "amounts": {"EUR": "10.00"},
        "accounts": 1,
    }


async def test_only_the_back_office_the_farmer_and_their_team_lead_see_the_figures(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    await order(followup, NORTH, team["f-1"], amount="300.00")
    for rep, seen in (("lead-1", 200), ("f-2", 404), ("h-7", 404)):
        got = await followup.client.get("/v1/farmers/f-1/repeat-orders", headers=team[rep])
        assert got.status_code == seen
        got = await followup.client.get(f"/v1/accounts/{NORTH}/repeat-orders", headers=team[rep])
        assert got.status_code == seen
    assert (await followup.client.get("/v1/farmers/f-1/repeat-orders")).status_code == 401


async def test_an_order_counts_for_the_farmer_who_held_the_account_then_also_after_a_rebuild(
    followup: Followup, router: Router, team: dict[str, dict[str, str]]
) -> None:
    await order(followup, NORTH, team["f-1"], amount="300.00")
    left = RepUpdated(rep_id="f-1", changes={"active": False})
    await router.deliver(new_envelope(left, subject="f-1", source=ROUTER))

    async def moved() -> bool:
        return (await followup.get(f"/v1/accounts/{NORTH}"))["farmer_id"] == "f-2"

    await eventually(moved)
    await order(followup, NORTH, ADMIN, amount="40.00")
    before = [
        await figures(followup, f"/v1/farmers/{f}/repeat-orders", ADMIN) for f in ("f-1", "f-2")
    ]
    assert [(f["count"], f["amounts"]) for f in before] == [
        (1, {"EUR": "300.00"}),
        (1, {"EUR": "40.00"}),  # f-2's own south account has no order yet
    ]
    runtime = followup.service.runtime
    await rebuild(runtime.engine, runtime.store, runtime.projections)
    after = [
        await figures(followup, f"/v1/farmers/{f}/repeat-orders", ADMIN) for f in ("f-1", "f-2")
    ]
    assert after == before
