"""When a farmer leaves or goes on long leave, their accounts move by the portfolio rules,
every move recorded; a short leave moves nothing."""

from datetime import UTC, datetime, timedelta
from typing import Any

from conveyor.events import new_envelope
from conveyor.events.catalogue.followup import AccountReassigned
from conveyor.events.catalogue.router import RepAvailabilityChanged, RepUpdated
from conveyor.events.catalogue.values import Location
from conveyor.events.projection import rebuild
from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN, Followup, Router, eventually, utc
from .test_handover_flow import read_model_rows
from .test_portfolio_rules import enrolled, set_rules

WON = utc("2025-03-07T15:30:00")
ROUTER = "/conveyor/router"


async def team_with_accounts(followup: Followup, router: Router) -> None:
    """f-1 and f-2 cover the north, f-3 the south; lead-1 and lead-2 go north, lead-3 south."""
    await enrolled(followup, router, "f-1", "f-2", "f-3")
    for farmer, region in (("f-1", "north"), ("f-2", "north"), ("f-3", "south")):
        await set_rules(followup, farmer, territories=[region])
    for lead, region in (("lead-1", "north"), ("lead-2", "north"), ("lead-3", "south")):
        await router.win(lead, won_at=WON, location=Location(region=region))
    await eventually(lambda: farmers_of(followup, 3))


async def farmers_of(followup: Followup, count: int = 0) -> dict[str, Any] | None:
    found = {}
    for lead in ("lead-1", "lead-2", "lead-3"):
        response = await followup.client.get(
            f"/v1/accounts/{account_id_for(lead)}",
            headers=ADMIN,
        )
        if response.status_code == 200:
            found[lead] = response.json()["farmer_id"]
    return found if len(found) >= count else None


async def farmer(followup: Followup, farmer_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = await followup.get("/v1/farmers")
    return next(f for f in found if f["farmer_id"] == farmer_id)


async def handled(followup: Followup, count: int) -> None:
    async def probe() -> bool:
        return followup.service.runtime.consumers[0].stats.handled >= count

    await eventually(probe)


async def moves(followup: Followup) -> list[AccountReassigned]:
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        logged = await runtime.store.read_all(conn)
    return [r.envelope.data for r in logged if isinstance(r.envelope.data, AccountReassigned)]


async def test_a_long_leave_moves_the_farmers_accounts_by_the_rules_and_records_each_move(
    followup: Followup, router: Router
) -> None:
    await team_with_accounts(followup, router)
    before = await farmers_of(followup)
    assert before == {"lead-1": "f-1", "lead-2": "f-2", "lead-3": "f-3"}
    leave = RepAvailabilityChanged(
        rep_id="f-1",
        available=False,
        reason="parental leave",
        until=datetime.now(UTC) + timedelta(days=90),
    )
    await router.deliver(new_envelope(leave, subject="f-1", source=ROUTER))
    await handled(followup, 7)
    [move] = await moves(followup)
    assert (move.account_id, move.from_farmer_id, move.to_farmer_id) == (
        account_id_for("lead-1"),
        "f-1",
        "f-2",
    )
    assert move.rule == "portfolio_rules"
    assert move.reason.startswith("farmer parental leave; portfolio rules match (territory north)")
    assert await farmers_of(followup) == {"lead-1": "f-2", "lead-2": "f-2", "lead-3": "f-3"}
    assert (
        (await farmer(followup, "f-1"))["portfolio_size"],
        (await farmer(followup, "f-1"))["available"],
    ) == (0, False)
    assert (await farmer(followup, "f-2"))["portfolio_size"] == 2
    tasks = await followup.get("/v1/tasks", account_id=account_id_for("lead-1"))
    assert {t["farmer_id"] for t in tasks} == {"f-2"}
    await router.win("lead-4", won_at=WON, location=Location(region="north"))
    await eventually(lambda: _account_farmer(followup, "lead-4"))
    assert await _account_farmer(followup, "lead-4") == "f-2"
    live = await read_model_rows(followup)
    runtime = followup.service.runtime
    await rebuild(runtime.engine, runtime.store, runtime.projections)
    assert await read_model_rows(followup) == live


async def _account_farmer(followup: Followup, lead: str) -> str | None:
    response = await followup.client.get(
        f"/v1/accounts/{account_id_for(lead)}",
        headers=ADMIN,
    )
    return str(response.json()["farmer_id"]) if response.status_code == 200 else None


async def test_a_short_leave_moves_nothing_and_the_farmer_comes_back(
    followup: Followup, router: Router
) -> None:
    await team_with_accounts(followup, router)
    away = RepAvailabilityChanged(
        rep_id="f-1", available=False, until=datetime.now(UTC) + timedelta(days=3)
    )
    back = RepAvailabilityChanged(rep_id="f-1", available=True)
    await router.deliver(new_envelope(away, subject="f-1", source=ROUTER))
    await handled(followup, 7)
    assert (await farmer(followup, "f-1"))["available"] is False
    assert await moves(followup) == []
    await router.deliver(new_envelope(back, subject="f-1", source=ROUTER))
    await handled(followup, 8)
    assert (await farmer(followup, "f-1"))["available"] is True
    assert (await farmers_of(followup))["lead-1"] == "f-1"


async def test_a_farmer_who_leaves_hands_every_account_on_and_caps_still_hold(
    followup: Followup, router: Router
) -> None:
    await team_with_accounts(followup, router)
    await set_rules(followup, "f-2", territories=["north"], cap=1)
    await set_rules(followup, "f-3", territories=["south"], cap=1)
    left = RepUpdated(rep_id="f-1", changes={"active": False})
    await router.deliver(new_envelope(left, subject="f-1", source=ROUTER))
    await handled(followup, 7)
    [move] = await moves(followup)
    assert (move.to_farmer_id, move.rule) == ("unassigned", "none")
    assert move.reason == "farmer left; every available farmer is at their portfolio cap"
