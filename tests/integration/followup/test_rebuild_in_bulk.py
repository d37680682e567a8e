"""Followup's read models rebuilt with rows written out after every event (the memory bound
at its smallest: every later change reads its row back) equal the live ones, after a busy
month and after accounts and tasks moved to another farmer."""

from datetime import UTC, datetime, timedelta

from conveyor.events import new_envelope
from conveyor.events.catalogue.router import RepAvailabilityChanged
from conveyor.events.projection import rebuild
from conveyor.followup.domain.handover import account_id_for

from .harness import ADMIN, Followup, ManualClock, Router, settle, utc
from .test_handover_flow import read_model_rows
from .test_rebalancing import ROUTER, handled, moves, team_with_accounts


async def rebuilt_unbounded_and_bounded_equal_live(followup: Followup) -> None:
    live = await read_model_rows(followup)
    runtime = followup.service.runtime
    for max_rows in (0, 100_000):
        await rebuild(runtime.engine, runtime.store, runtime.projections, max_rows=max_rows)
        assert await read_model_rows(followup) == live


async def test_a_busy_month_rebuilds_to_the_live_rows_when_every_row_is_written_out_at_once(
    followup: Followup, team: dict[str, dict[str, str]], clock: ManualClock
) -> None:
    steps = [{"kind": "call", "after_days": 1}, {"kind": "review", "after_days": 5}]
    await followup.client.put("/v1/cadences/std", json={"steps": steps}, headers=ADMIN)
    [task] = (await followup.client.get("/v1/tasks", headers=team["f-1"])).json()
    path = f"/v1/tasks/{task['task_id']}/complete"
    await followup.client.post(path, json={"outcome": "churn_risk"}, headers=team["f-1"])
    order = {"amount": "10.00", "currency": "EUR", "order_ref": "o-1"}
    account = account_id_for("lead-1")
    await followup.client.post(f"/v1/accounts/{account}/orders", json=order, headers=ADMIN)
    clock.set(utc("2025-04-30T12:00:00"))
    await settle(followup)
    live = await read_model_rows(followup)
    assert live["orders"] and live["credentials"] and live["cadences"] and live["timers"]
    await rebuilt_unbounded_and_bounded_equal_live(followup)


async def test_moved_accounts_and_tasks_rebuild_to_the_live_rows_when_written_out_at_once(
    followup: Followup, router: Router
) -> None:
    await team_with_accounts(followup, router)
    until = datetime.now(UTC) + timedelta(days=90)
    leave = RepAvailabilityChanged(rep_id="f-1", available=False, reason="leave", until=until)
    await router.deliver(new_envelope(leave, subject="f-1", source=ROUTER))
    await handled(followup, 7)
    assert len(await moves(followup)) == 1
    await rebuilt_unbounded_and_bounded_equal_live(followup)
