"""Followup hands won accounts to farmers, fed by real events on the embedded bus."""

from typing import Any

from sqlalchemy import select

from conveyor.events.projection import rebuild
from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN, Followup, Router, eventually, utc

FRIDAY_AFTERNOON = utc("2025-03-07T15:30:00")
TUESDAY = "2025-03-11"


async def tasks_of(followup: Followup, count: int, **params: str) -> list[dict[str, Any]]:
    """Wait until the task list holds count tasks, then return it."""

    async def probe() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = await followup.get("/v1/tasks", **params)
        return found if len(found) >= count else None

    return await eventually(probe)


async def handled(followup: Followup, *, count: int, duplicates: int = 0) -> None:
    """Wait until the consumer has handled (and skipped as duplicates) so many events."""
    stats = followup.service.runtime.consumers[0].stats

    async def probe() -> bool:
        return stats.handled >= count and stats.duplicates >= duplicates

    await eventually(probe)


async def test_the_onboarding_call_is_planned_two_business_days_after_the_deal(
    followup: Followup, router: Router
) -> None:
    await router.register("f-1")
    await router.win("lead-1", won_at=FRIDAY_AFTERNOON, hunter_id="h-7")
    [task] = await tasks_of(followup, 1, farmer_id="f-1")
    assert (task["kind"], task["due_on"], task["status"]) == ("onboarding_call", TUESDAY, "open")
    account = await followup.get(f"/v1/accounts/{task['account_id']}")
    assert task["account_id"] == account_id_for("lead-1")
    assert (account["lead_id"], account["hunter_id"], account["farmer_id"]) == (
        "lead-1",
        "h-7",
        "f-1",
    )
    [farmer] = await followup.get("/v1/farmers")
    assert (farmer["farmer_id"], farmer["name"], farmer["portfolio_size"]) == ("f-1", "Rep f-1", 1)


async def test_a_deal_delivered_twice_gives_one_account_and_one_task(
    followup: Followup, router: Router
) -> None:
    await router.register("f-1")
    deal = await router.win("lead-1", won_at=FRIDAY_AFTERNOON)
    await router.deliver(deal)
    await router.win("lead-1", won_at=FRIDAY_AFTERNOON)
    await handled(followup, count=3, duplicates=1)
    assert len(await followup.get("/v1/tasks", account_id=account_id_for("lead-1"))) == 1
    assert (await followup.get("/v1/farmers"))[0]["portfolio_size"] == 1


async def test_two_deals_go_one_to_each_of_two_farmers(followup: Followup, router: Router) -> None:
    await router.register("f-1")
    await router.register("f-2")
    await router.win("lead-1", won_at=FRIDAY_AFTERNOON)
    await router.win("lead-2", won_at=FRIDAY_AFTERNOON)
    found = await tasks_of(followup, 2)
    assert sorted(task["farmer_id"] for task in found) == ["f-1", "f-2"]
    sizes = {f["farmer_id"]: f["portfolio_size"] for f in await followup.get("/v1/farmers")}
    assert sizes == {"f-1": 1, "f-2": 1}


async def test_hunters_are_not_enrolled_and_without_farmers_the_task_is_unassigned(
    followup: Followup, router: Router
) -> None:
    await router.register("h-1", role="hunter")
    await router.win("lead-1", won_at=FRIDAY_AFTERNOON)
    [task] = await tasks_of(followup, 1)
    assert task["farmer_id"] == "unassigned"
    assert await followup.get("/v1/farmers") == []


async def test_handovers_and_tasks_are_published_on_the_followups_topic(
    followup: Followup, router: Router, unique_name: str
) -> None:
    await router.register("f-1")
    deal = await router.win("lead-1", won_at=FRIDAY_AFTERNOON)
    published = await router.read_followups(4, group=unique_name)
    assert [e.type for e in published] == [
        "conveyor.farmer.enrolled",
        "conveyor.account.handed_over",
        "conveyor.cadence.applied",
        "conveyor.followup.scheduled",
    ]
    for envelope in published[1:]:
        assert envelope.subject == account_id_for("lead-1")
        assert (envelope.causation_id, envelope.correlation_id) == (deal.id, deal.correlation_id)
        assert envelope.source == "/conveyor/followup"


async def test_rebuilt_read_models_equal_the_live_ones(followup: Followup, router: Router) -> None:
    for farmer in ("f-1", "f-2"):
        await router.register(farmer)
    for lead in ("lead-1", "lead-2", "lead-3"):
        await router.win(lead, won_at=FRIDAY_AFTERNOON)
    await tasks_of(followup, 3)
    live = await read_model_rows(followup)
    runtime = followup.service.runtime
    assert await rebuild(runtime.engine, runtime.store, runtime.projections) == 14
    assert await read_model_rows(followup) == live


async def test_an_unknown_account_is_a_404_problem(followup: Followup) -> None:
    response = await followup.client.get("/v1/accounts/nope", headers=ADMIN)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Account not found"


async def test_followup_is_ready_when_its_database_bus_and_workers_are(
    followup: Followup,
) -> None:
    response = await followup.client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "bus": "ok", "workers": "ok"}


async def read_model_rows(followup: Followup) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the read models, in key order."""
    async with followup.service.runtime.engine.connect() as conn:
        return {
            table.name: [
                tuple(r) for r in await conn.execute(select(table).order_by(*table.primary_key))
            ]
            for projection in followup.service.runtime.projections
            for table in projection.tables
        }
