"""Tasks reach farmers' apps as signed webhooks (verified by the standardwebhooks library):
due tasks to their farmer, overdue ones to the team lead, each once and in order per farmer
through failures; 410 disables the endpoint; dead letters are listed and replayed; the same
on PostgreSQL, where the farmers read model rebuilds to the same rows."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conveyor.devkit.postgres import DatabaseServer
from conveyor.events.catalogue.followup import (
    FarmerWebhookChanged,
    FollowUpDue,
    TaskWebhookDelivered,
    TaskWebhookFailed,
    TaskWebhookReplayed,
)
from conveyor.events.projection import rebuild
from conveyor.followup.config import Settings

from .farmer_app import FarmerApp, farmer_app
from .harness import ADMIN, Followup, ManualClock, Router, router_on, running, settle
from .task_webhooks import (
    RETRIES,
    TUESDAY,
    WEDNESDAY,
    accepted,
    dead_letters,
    hook,
    logged,
    planned,
    queue_is,
    webhook_settings,
    win,
)
from .test_handover_flow import read_model_rows
from .test_portfolio_rules import enrolled, set_rules


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return webhook_settings(f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}", tmp_path)


@pytest.fixture
async def app() -> AsyncIterator[FarmerApp]:
    async with farmer_app() as state:
        yield state


async def test_a_due_task_reaches_its_farmers_app_and_an_overdue_one_its_team_lead(
    followup: Followup, router: Router, clock: ManualClock, app: FarmerApp
) -> None:
    await enrolled(followup, router, "f-1", "f-2", "lead-1")
    await set_rules(followup, "f-1", territories=["north"], team_lead_id="lead-1")
    await set_rules(followup, "f-2", territories=["south"])
    await set_rules(followup, "lead-1", cap=0)
    for farmer_id in ("f-1", "lead-1"):
        await hook(followup, app, farmer_id)
    await win(router, "north", "lead-1")
    await win(router, "south", "lead-2")
    await planned(followup, 2)
    clock.set(TUESDAY)
    await settle(followup)
    [due] = await accepted(app, "f-1", 1)
    [task] = await followup.get("/v1/tasks", farmer_id="f-1")
    complete = f"{followup.service.settings.base_url}/v1/tasks/{task['task_id']}/complete"
    assert due["payload"] | {"links": due["payload"]["links"]["complete"]} == {
        "type": "task.due",
        "task_id": task["task_id"],
        "account_id": task["account_id"],
        "farmer_id": "f-1",
        "kind": "onboarding_call",
        "due_on": "2025-03-11",
        "notes": task["notes"],
        "offer_code": None,
        "links": complete,
    }
    clock.set(WEDNESDAY)
    await settle(followup)
    [overdue] = await accepted(app, "lead-1", 1)
    assert overdue["payload"]["type"] == "task.overdue"
    assert (overdue["payload"]["task_id"], overdue["payload"]["escalated_to"]) == (
        task["task_id"],
        "lead-1",
    )
    assert all(all(a["verified"]) for a in app.attempts)
    assert {a["farmer_id"] for a in app.attempts} == {"f-1", "lead-1"}  # f-2 has no endpoint
    await queue_is(followup, {"delivered": 2})
    delivered = [e for _, e in await logged(followup, TaskWebhookDelivered)]
    assert sorted(e.kind for e in delivered) == ["task.due", "task.overdue"]


async def test_through_failures_each_task_arrives_once_and_in_order(
    followup: Followup, router: Router, clock: ManualClock, app: FarmerApp
) -> None:
    await enrolled(followup, router, "f-1")
    await hook(followup, app, "f-1")
    app.answer("f-1", 500, 503, 500)
    await win(router, "north", "lead-1", "lead-2", "lead-3")
    await planned(followup, 3)
    clock.set(TUESDAY)
    await settle(followup)
    got = await accepted(app, "f-1", 3)
    due_ids = [event_id for event_id, _ in await logged(followup, FollowUpDue)]
    assert [a["webhook_id"] for a in got] == due_ids
    first = [a["webhook_id"] for a in app.attempts[:4]]
    assert first == [due_ids[0]] * 4  # the first task was retried before the others went
    failed = [e for _, e in await logged(followup, TaskWebhookFailed)]
    assert [(e.attempt, e.message_id) for e in failed] == [(n, due_ids[0]) for n in (1, 2, 3)]
    await queue_is(followup, {"delivered": 3})


async def test_410_disables_the_endpoint_until_it_is_set_again_and_its_letter_replayed(
    followup: Followup, router: Router, clock: ManualClock, app: FarmerApp
) -> None:
    await enrolled(followup, router, "f-1")
    await hook(followup, app, "f-1")
    app.answer("f-1", 410)
    await win(router, "north", "lead-1", "lead-2")
    await planned(followup, 2)
    clock.set(TUESDAY)
    await settle(followup)
    letters = await dead_letters(followup, 2)
    assert len(app.attempts) == 1  # the second message was never tried
    [farmer] = await followup.get("/v1/farmers")
    assert farmer["webhook_status"] == "disabled"
    changes = [e for _, e in await logged(followup, FarmerWebhookChanged)]
    assert [(e.farmer_id, e.status) for e in changes] == [("f-1", "enabled"), ("f-1", "disabled")]
    await hook(followup, app, "f-1")
    for letter in letters:
        replay = f"/v1/webhooks/dead-letters/{letter['message_id']}/replay"
        response = await followup.client.post(replay, headers=ADMIN)
        assert response.status_code == 200, response.text
    got = await accepted(app, "f-1", 2)
    assert [a["webhook_id"] for a in got] == [letter["message_id"] for letter in letters]


async def test_a_message_out_of_attempts_is_a_dead_letter_and_its_replay_arrives_once(
    followup: Followup, router: Router, clock: ManualClock, app: FarmerApp
) -> None:
    await enrolled(followup, router, "f-1")
    await hook(followup, app, "f-1")
    app.answer("f-1", *[500] * (len(RETRIES) + 1))
    await win(router, "north", "lead-1")
    await planned(followup, 1)
    clock.set(TUESDAY)
    await settle(followup)
    [letter] = await dead_letters(followup, 1)
    assert (letter["farmer_id"], letter["kind"], letter["attempts"]) == ("f-1", "task.due", 4)
    assert letter["last_error"] == "retry: HTTP 500"
    assert not app.accepted
    replay = f"/v1/webhooks/dead-letters/{letter['message_id']}/replay"
    response = await followup.client.post(replay, headers=ADMIN)
    assert response.status_code == 200, response.text
    [got] = await accepted(app, "f-1", 1)
    assert got["webhook_id"] == letter["message_id"]
    await queue_is(followup, {"delivered": 1})
    again = await followup.client.post(replay, headers=ADMIN)
    assert (again.status_code, again.headers["content-type"]) == (404, "application/problem+json")
    replayed = [e for _, e in await logged(followup, TaskWebhookReplayed)]
    assert [e.message_id for e in replayed] == [letter["message_id"]]


@pytest.mark.postgres
async def test_tasks_reach_farmers_apps_through_a_failure_on_postgresql_and_farmers_rebuild(
    postgres_server: DatabaseServer,
    unique_name: str,
    tmp_path: Path,
    clock: ManualClock,
    app: FarmerApp,
) -> None:
    url = str(postgres_server.create_database(unique_name))
    settings = webhook_settings(url, tmp_path)
    async with running(settings, clock) as followup, router_on(settings.bus_url) as router:
        await enrolled(followup, router, "f-1")
        await hook(followup, app, "f-1")
        app.answer("f-1", 503)
        await win(router, "north", "lead-1", "lead-2")
        await planned(followup, 2)
        clock.set(TUESDAY)
        await settle(followup)
        got = await accepted(app, "f-1", 2)
        due_ids = [event_id for event_id, _ in await logged(followup, FollowUpDue)]
        assert [a["webhook_id"] for a in got] == due_ids
        assert len(app.attempts) == 3
        await queue_is(followup, {"delivered": 2})
        runtime = followup.service.runtime
        live = await read_model_rows(followup)
        await rebuild(runtime.engine, runtime.store, runtime.projections)
        assert await read_model_rows(followup) == live
        [farmer] = live["farmers"]
        assert app.hook_of("f-1") in farmer
