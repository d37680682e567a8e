"""The nurture pool with intake itself: a lead intake nurtured waits in followup, goes back
to intake on its recheck date, and intake's new verdict (by the checklist then in force)
takes it out of the pool: not qualified (rejected) or qualified, each recorded once."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.events import Event
from conveyor.events.catalogue.followup import (
    NurtureEnded,
    NurtureRecheckDue,
    NurtureRecheckScheduled,
)
from conveyor.followup.config import Settings
from conveyor.intake.config import Settings as IntakeSettings
from tests.integration.intake.conftest import ADMIN as INTAKE_ADMIN
from tests.integration.intake.conftest import client_for, register_source, running_app

from .harness import Followup, ManualClock, eventually, settle

PHONE_SIGNAL = {"field": "contact.phone", "op": "present", "reason": "phone", "weight": 30}
STRICT = {"signals": [PHONE_SIGNAL], "target_from": 90, "nurture_from": 80}
LENIENT = {"signals": [PHONE_SIGNAL], "target_from": 30}


@pytest.fixture
async def website(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Intake on its own database and followup's bus, and a website posting leads to it."""
    intake_settings = IntakeSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}",
        bus_url=settings.bus_url,
        public_url="http://intake.test",
        admin_token=INTAKE_ADMIN["Authorization"].removeprefix("Bearer "),
    )
    async with running_app(intake_settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website")
        async with client_for(app, key) as client:
            yield client


async def pool_of(followup: Followup, lead_id: str) -> list[Event]:
    """The events of the lead's time in the nurture pool."""
    runtime = followup.service.runtime
    async with runtime.engine.connect() as conn:
        recorded = await runtime.store.read_stream(conn, f"nurture-{lead_id}")
    return [r.envelope.data for r in recorded]


async def status_of(website: httpx.AsyncClient, status_url: str) -> str:
    return str((await website.get(status_url)).json()["status"])


@pytest.mark.parametrize(
    ("checklist", "verdict"), [(STRICT, "disqualified"), (LENIENT, "qualified")]
)
async def test_a_rechecked_lead_leaves_the_pool_with_intakes_new_verdict(
    followup: Followup,
    website: httpx.AsyncClient,
    clock: ManualClock,
    checklist: dict[str, Any],
    verdict: str,
) -> None:
    posted = await website.post(
        "/v1/leads", json={"contact": {"name": "Bo", "phone": "+442079460000"}}
    )
    lead_id, status_url = posted.json()["lead_id"], posted.json()["status_url"]
    assert await status_of(website, status_url) == "nurtured"
    [scheduled] = await eventually(lambda: pool_of(followup, lead_id))
    assert isinstance(scheduled, NurtureRecheckScheduled)
    published = await website.post("/v1/checklists", json=checklist, headers=INTAKE_ADMIN)
    assert published.status_code == 201, published.text

    clock.set(scheduled.recheck_at)
    await settle(followup)

    async def decided() -> bool:
        return await status_of(website, status_url) == verdict

    await eventually(decided)

    async def ended() -> list[Event] | None:
        found = await pool_of(followup, lead_id)
        return found if isinstance(found[-1], NurtureEnded) else None

    events = await eventually(ended)
    clock.set(scheduled.recheck_at + timedelta(days=365))
    await settle(followup)
    assert events == await pool_of(followup, lead_id)
    assert [type(e) for e in events] == [NurtureRecheckScheduled, NurtureRecheckDue, NurtureEnded]
    assert events[-1] == NurtureEnded(
        lead_id=lead_id, reason=f"intake {verdict} the lead on its recheck"
    )
