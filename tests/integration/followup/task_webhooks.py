"""What the task webhook tests share: followup calling farmers' apps on this machine, and
waiting on what the apps got and what followup logged."""

from pathlib import Path
from typing import Any

from conveyor.events import Event
from conveyor.events.catalogue.values import Location
from conveyor.followup.config import Settings

from .farmer_app import FarmerApp
from .harness import ADMIN, ADMIN_TOKEN, Followup, Router, eventually, utc

WON_FRIDAY = utc("2025-03-07T15:30:00")
TUESDAY = utc("2025-03-11T09:00:00")  # the onboarding calls fall due
WEDNESDAY = utc("2025-03-12T09:00:00")  # and are overdue
RETRIES = [0.05, 0.05, 0.05]  # four attempts in all, then a dead letter


def webhook_settings(database_url: str, tmp_path: Path) -> Settings:
    """Followup calling farmers' apps on this machine over http, retrying at once."""
    return Settings(
        database_url=database_url,
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        admin_token=ADMIN_TOKEN,
        webhook_require_https=False,
        webhook_allow_loopback=True,
        webhook_retry_schedule=RETRIES,
    )


async def hook(followup: Followup, app: FarmerApp, farmer_id: str) -> str:
    """Point the farmer's endpoint at the app, which verifies with the secret shown once."""
    body = {"webhook_url": app.hook_of(farmer_id)}
    response = await followup.client.put(
        f"/v1/farmers/{farmer_id}/webhook", json=body, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    secret: str = response.json()["webhook_secret"]
    app.secrets[farmer_id] = [secret]
    return secret


async def logged(followup: Followup, kind: type[Event]) -> list[tuple[str, Any]]:
    """(envelope id, event) of every event of a kind in the log, in log order."""
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        found = await runtime.store.read_all(conn, after=0, limit=10_000)
    return [(r.envelope.id, r.envelope.data) for r in found if isinstance(r.envelope.data, kind)]


async def accepted(app: FarmerApp, farmer_id: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        got = app.of(farmer_id)
        return got if len(got) >= count else None

    return await eventually(probe)


async def dead_letters(followup: Followup, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = await followup.get("/v1/webhooks/dead-letters")
        return found if len(found) >= count else None

    return await eventually(probe)


async def queue_is(followup: Followup, counts: dict[str, int]) -> None:
    """Wait until the queue holds so many messages in each status (the app may answer
    before the attempt is recorded)."""

    async def probe() -> bool:
        return bool(await followup.get("/v1/webhooks/queue") == counts)

    await eventually(probe)


async def win(router: Router, region: str, *lead_ids: str) -> None:
    for lead_id in lead_ids:
        await router.win(lead_id, won_at=WON_FRIDAY, location=Location(region=region))


async def planned(followup: Followup, count: int) -> None:
    async def probe() -> bool:
        return len(await followup.get("/v1/tasks")) >= count

    await eventually(probe)
