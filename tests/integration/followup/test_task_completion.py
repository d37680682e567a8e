"""Farmers complete their own tasks with their own credential; outcomes plan what follows;
overdue tasks are escalated to the team lead; nobody sees another farmer's work."""

from typing import Any

from conveyor.events.catalogue.followup import FollowUpOverdue, RepeatOrderRecorded
from conveyor.events.catalogue.values import Location
from conveyor.followup.domain.handover import account_id_for

from .conftest import credential
from .harness import ADMIN, Followup, ManualClock, Router, eventually, settle, utc

WON_FRIDAY = utc("2025-03-07T15:30:00")


async def tasks_as(followup: Followup, headers: dict[str, str], count: int = 0) -> list[Any]:
    async def probe() -> list[Any] | None:
        response = await followup.client.get("/v1/tasks", headers=headers)
        assert response.status_code == 200, response.text
        found: list[Any] = response.json()
        return found if len(found) >= count else None

    return await eventually(probe) if count else (await probe() or [])


async def complete(followup: Followup, task_id: str, headers: dict[str, str], **body: Any) -> Any:
    return await followup.client.post(f"/v1/tasks/{task_id}/complete", json=body, headers=headers)


async def onboarding_of(followup: Followup, farmer: dict[str, str]) -> str:
    [task] = await tasks_as(followup, farmer, count=1)
    return str(task["task_id"])


async def logged(followup: Followup, lead_id: str) -> list[Any]:
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        stream = await runtime.store.read_stream(conn, account_id_for(lead_id))
    return [r.envelope.data for r in stream]


async def test_a_reorder_placed_closes_the_task_and_records_the_order(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    task_id = await onboarding_of(followup, team["f-1"])
    done = await complete(
        followup, task_id, team["f-1"], outcome="reorder_placed", amount="450.00", currency="EUR"
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"]) == ("done", "reorder_placed")
    [order] = [e for e in await logged(followup, "lead-1") if isinstance(e, RepeatOrderRecorded)]
    assert (str(order.amount), order.currency) == ("450.00", "EUR")
    again = await complete(followup, task_id, team["f-1"], outcome="no_need_now")
    assert (again.status_code, again.headers["content-type"]) == (409, "application/problem+json")


async def test_call_back_and_churn_risk_plan_the_next_task(
    followup: Followup, team: dict[str, dict[str, str]], clock: ManualClock
) -> None:
    task_id = await onboarding_of(followup, team["f-1"])
    await complete(followup, task_id, team["f-1"], outcome="call_back", call_back_on="2025-03-15")
    [call_back] = [t for t in await tasks_as(followup, team["f-1"]) if t["status"] == "open"]
    assert (call_back["kind"], call_back["due_on"]) == ("call_back", "2025-03-17")  # Sat -> Mon
    clock.set(utc("2025-03-10T10:00:00"))
    await complete(followup, call_back["task_id"], team["f-1"], outcome="churn_risk")
    [retention] = [t for t in await tasks_as(followup, team["f-1"]) if t["status"] == "open"]
    assert (retention["kind"], retention["due_on"]) == ("retention_call", "2025-03-11")


async def test_lost_cancels_the_rest_of_the_plan(
    followup: Followup, router: Router, team: dict[str, dict[str, str]]
) -> None:
    steps = [{"kind": k, "after_days": n} for k, n in (("call", 2), ("check", 10), ("review", 20))]
    response = await followup.client.put("/v1/cadences/std", json={"steps": steps}, headers=ADMIN)
    assert response.status_code == 200
    await router.win("lead-3", won_at=WON_FRIDAY, location=Location(region="north"))
    plan = await eventually(lambda: plan_of(followup, "lead-3", 3))
    done = await complete(followup, plan[0]["task_id"], team["f-1"], outcome="lost")
    assert done.json()["status"] == "done"
    after = await followup.get("/v1/tasks", account_id=account_id_for("lead-3"))
    assert [t["status"] for t in after] == ["done", "cancelled", "cancelled"]


async def plan_of(followup: Followup, lead_id: str, count: int) -> list[Any] | None:
    found: list[Any] = await followup.get("/v1/tasks", account_id=account_id_for(lead_id))
    return found if len(found) >= count else None


async def test_outcomes_are_validated_field_by_field(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    task_id = await onboarding_of(followup, team["f-1"])
    bad = await complete(followup, task_id, team["f-1"], outcome="reorder_placed", currency="eur")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in bad.json()["errors"]}
    assert "currency" in fields
    missing = await complete(followup, task_id, team["f-1"], outcome="reorder_placed")
    assert "needs amount and currency" in missing.json()["errors"][0]["reason"]
    unknown = await complete(followup, task_id, team["f-1"], outcome="maybe")
    assert [e["field"] for e in unknown.json()["errors"]] == ["outcome"]


async def test_a_farmer_neither_sees_nor_acts_on_another_farmers_work(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    mine = await tasks_as(followup, team["f-2"], count=1)
    assert {t["farmer_id"] for t in mine} == {"f-2"}
    theirs = await onboarding_of(followup, team["f-1"])
    assert (await complete(followup, theirs, team["f-2"], outcome="lost")).status_code == 404
    account = f"/v1/accounts/{account_id_for('lead-1')}"
    assert (await followup.client.get(account, headers=team["f-2"])).status_code == 404
    filtered = await followup.client.get("/v1/tasks?farmer_id=f-1", headers=team["f-2"])
    assert filtered.json() == []
    assert (await complete(followup, theirs, ADMIN, outcome="lost")).status_code == 403
    assert (await complete(followup, theirs, {}, outcome="lost")).status_code == 401


async def test_a_new_credential_replaces_the_old_one(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    renewed = await credential(followup, "f-1")
    assert (await followup.client.get("/v1/tasks", headers=team["f-1"])).status_code == 401
    assert len(await tasks_as(followup, renewed, count=1)) == 1


async def test_the_hunter_sees_the_deal_they_won_but_not_the_farmers_work(
    followup: Followup, team: dict[str, dict[str, str]]
) -> None:
    response = await followup.client.get(
        f"/v1/accounts/{account_id_for('lead-1')}", headers=team["h-7"]
    )
    account = response.json()
    assert (account["view"], account["hunter_id"], account["farmer_id"]) == ("deal", "h-7", "f-1")
    assert account["cadence_id"] is None
    assert await tasks_as(followup, team["h-7"]) == []
    other = await followup.client.get(
        f"/v1/accounts/{account_id_for('lead-2')}", headers=team["h-7"]
    )
    assert other.status_code == 404


async def test_an_overdue_task_is_escalated_to_the_farmers_team_lead(
    followup: Followup, team: dict[str, dict[str, str]], clock: ManualClock
) -> None:
    clock.set(utc("2025-03-12T00:00:01"))  # the onboarding call was due on Tuesday the 11th
    await settle(followup)
    seen_by_lead = await tasks_as(followup, team["lead-1"], count=1)
    [late] = [t for t in seen_by_lead if t["status"] == "overdue"]
    assert (late["farmer_id"], late["escalated_to"]) == ("f-1", "lead-1")
    [event] = [e for e in await logged(followup, "lead-1") if isinstance(e, FollowUpOverdue)]
    assert (event.escalated_to, str(event.due_on)) == ("lead-1", "2025-03-11")
    [unled] = [t for t in await tasks_as(followup, team["f-2"], count=1)]
    assert (unled["status"], unled["escalated_to"]) == ("overdue", None)
    done = await complete(followup, late["task_id"], team["f-1"], outcome="no_need_now")
    assert done.json()["status"] == "done"
