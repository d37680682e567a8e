"""Every read model, after credentials, cadences, completions, orders and overdue tasks,
rebuilds from the log to the same rows."""

from conveyor.events.projection import rebuild
from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN, Followup, ManualClock, settle, utc
from .test_handover_flow import read_model_rows


async def test_the_rebuilt_read_models_equal_the_live_ones_after_a_busy_month(
    followup: Followup, team: dict[str, dict[str, str]], clock: ManualClock
) -> None:
    steps = [
        {"kind": "call", "after_days": 1},
        {"kind": "review", "after_days": 5, "every_days": 30},
    ]
    await followup.client.put("/v1/cadences/std", json={"steps": steps}, headers=ADMIN)
    [task] = (await followup.client.get("/v1/tasks", headers=team["f-1"])).json()
    await followup.client.post(
        f"/v1/tasks/{task['task_id']}/complete", json={"outcome": "churn_risk"}, headers=team["f-1"]
    )
    order = {"amount": "10.00", "currency": "EUR", "order_ref": "o-1"}
    await followup.client.post(
        f"/v1/accounts/{account_id_for('lead-1')}/orders", json=order, headers=ADMIN
    )
    clock.set(utc("2025-04-30T12:00:00"))
    await settle(followup)
    live = await read_model_rows(followup)
    assert any(row for row in live["orders"]) and live["credentials"] and live["cadences"]
    runtime = followup.service.runtime
    await rebuild(runtime.engine, runtime.store, runtime.projections)
    assert await read_model_rows(followup) == live
