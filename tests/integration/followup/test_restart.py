"""Timers survive the end of the process: a followup killed before its tasks fall due
fires them, once each, when it starts again later (task and nurture timers alike)."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.devkit.processes import ServiceProcess, service
from tests.support import free_port, poll

from .harness import ADMIN, ADMIN_TOKEN, router_on, utc
from .test_nurture_pool import Intake

pytestmark = pytest.mark.e2e
FRIDAY_AFTERNOON = utc("2025-03-07T15:30:00")


def followup_process(tmp_path: Path, *, clock_start: str) -> ServiceProcess:
    env = {
        "CONVEYOR_FOLLOWUP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}",
        "CONVEYOR_FOLLOWUP_BUS_URL": f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        "CONVEYOR_FOLLOWUP_CLOCK_START": clock_start,
        "CONVEYOR_FOLLOWUP_TIMER_POLL_SECONDS": "0.2",
        "CONVEYOR_FOLLOWUP_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    return service("followup", port=free_port(), env=env, log_dir=tmp_path / "logs")


@pytest.fixture
def first_run(tmp_path: Path) -> Iterator[ServiceProcess]:
    with followup_process(tmp_path, clock_start="2025-03-07T16:00:00Z") as proc:
        yield proc.start().wait_ready()


def tasks(proc: ServiceProcess) -> list[dict[str, Any]]:
    response = httpx.get(f"{proc.url}/v1/tasks", headers=ADMIN, timeout=10)
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_task_planned_before_a_kill_falls_due_once_after_the_restart(
    first_run: ServiceProcess, tmp_path: Path
) -> None:
    bus_url = f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"
    async with router_on(bus_url) as router:
        await router.register("f-1")
        await router.win("lead-1", won_at=FRIDAY_AFTERNOON)
    intake = Intake(bus_url)
    await intake.nurture("lead-2", utc("2025-03-10T09:00:00"))
    await intake.transport.close()
    [task] = poll(lambda: tasks(first_run) or None, what="the onboarding task")
    poll(lambda: "conveyor.nurture.recheck_scheduled" in logged(tmp_path), what="the lead kept")
    assert task["status"] == "open"
    assert first_run.process is not None
    first_run.process.kill()
    first_run.process.wait()
    with followup_process(tmp_path, clock_start="2025-03-11T08:00:00Z") as second_run:
        second_run.start().wait_ready()
        due = poll(
            lambda: [t for t in tasks(second_run) if t["status"] == "due"], what="the task due"
        )
        assert [t["task_id"] for t in due] == [task["task_id"]]
        poll(lambda: "conveyor.nurture.recheck_due" in logged(tmp_path), what="the recheck")
    assert sorted(logged(tmp_path)) == sorted(
        [
            "conveyor.farmer.enrolled",
            "conveyor.account.handed_over",
            "conveyor.cadence.applied",
            "conveyor.followup.scheduled",
            "conveyor.account.watched",
            "conveyor.nurture.recheck_scheduled",
            "conveyor.followup.due",
            "conveyor.nurture.recheck_due",
        ]
    )


def logged(tmp_path: Path) -> list[str]:
    """The types of the events in followup's log, in order (read while it may run)."""
    with sqlite3.connect(tmp_path / "followup.db") as db:
        return [row[0] for row in db.execute("SELECT event_type FROM events ORDER BY position")]
