"""Followup's NurtureRecheckDue on the bus brings a nurtured lead back to intake's sieve."""

import httpx

from conveyor.events import new_envelope
from conveyor.events.catalogue.followup import NurtureRecheckDue
from conveyor.events.catalogue.topics import FOLLOWUPS
from conveyor.events.codec import encode
from conveyor.events.transport.base import OutboundMessage
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.intake.config import Settings
from tests.support import wait_for

from .conftest import ADMIN

LENIENT = {
    "signals": [{"field": "contact.phone", "op": "present", "reason": "phone", "weight": 30}],
    "target_from": 30,
}


async def publish_recheck_due(bus_url: str, lead_id: str) -> None:
    """Publish NurtureRecheckDue as followup would."""
    transport = EmbeddedTransport.from_url(bus_url)
    sink = transport.sink()
    await sink.start()
    try:
        due = new_envelope(
            NurtureRecheckDue(lead_id=lead_id), subject=lead_id, source="/conveyor/followup"
        )
        await sink.publish([OutboundMessage(FOLLOWUPS, encode(due))])
    finally:
        await sink.stop()
        await transport.close()


async def test_a_recheck_due_event_requalifies_a_nurtured_lead_by_the_newest_checklist(
    website: httpx.AsyncClient, client: httpx.AsyncClient, settings: Settings
) -> None:
    posted = await website.post(
        "/v1/leads", json={"contact": {"name": "Bo", "phone": "+442079460000"}}
    )
    status_url = posted.json()["status_url"]
    assert (await website.get(status_url)).json()["status"] == "nurtured"
    assert (await client.post("/v1/checklists", json=LENIENT, headers=ADMIN)).status_code == 201

    await publish_recheck_due(settings.bus_url, posted.json()["lead_id"])

    async def requalified() -> dict[str, object] | None:
        status: dict[str, object] = (await website.get(status_url)).json()
        return status if status["status"] == "qualified" else None

    status = await wait_for(requalified, what="the lead requalified")
    assert status["checklist_version"] == 2
