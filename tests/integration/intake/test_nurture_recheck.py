"""Events intake consumes: followup's NurtureRecheckDue brings a nurtured lead back to the
sieve; the router's DealWon makes the person a customer."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx

from conveyor.events import new_envelope
from conveyor.events.catalogue.followup import NurtureRecheckDue
from conveyor.events.catalogue.router import DealWon
from conveyor.events.catalogue.topics import DEALS, FOLLOWUPS
from conveyor.events.catalogue.values import Contact, LeadSnapshot
from conveyor.events.codec import encode
from conveyor.events.transport.base import OutboundMessage
from conveyor.events.transport.embedded import EmbeddedTransport
from conveyor.intake.config import Settings
from tests.support import wait_for

from .conftest import ADMIN, client_for, lead_body, register_source, running_app

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


async def publish_deal_won(bus_url: str, lead_id: str) -> None:
    """Publish DealWon as the router would."""
    snapshot = LeadSnapshot(
        lead_id=lead_id, source="website", channel="web_form", contact=Contact(name="Ada")
    )
    won = DealWon(
        lead_id=lead_id,
        assignment_id="as-1",
        rep_id="ana",
        amount=Decimal("900"),
        currency="EUR",
        won_at=datetime.now(UTC),
        lead=snapshot,
    )
    transport = EmbeddedTransport.from_url(bus_url)
    sink = transport.sink()
    await sink.start()
    try:
        envelope = new_envelope(won, subject=lead_id, source="/conveyor/router")
        await sink.publish([OutboundMessage(DEALS, encode(envelope))])
    finally:
        await sink.stop()
        await transport.close()


async def test_a_won_deal_on_the_bus_makes_the_person_a_repeat_customer_next_time(
    settings: Settings,
) -> None:
    no_window = settings.model_copy(update={"duplicate_window_days": 0})
    async with running_app(no_window) as app, client_for(app) as admin:
        key = await register_source(admin, "website")
        async with client_for(app, key) as website:
            first = (await website.post("/v1/leads", json=lead_body())).json()
            await publish_deal_won(settings.bus_url, first["lead_id"])

            async def converted() -> dict[str, object] | None:
                status: dict[str, object] = (await website.get(first["status_url"])).json()
                return status if status["won_at"] else None

            await wait_for(converted, what="the won deal recorded")
            back = (await website.post("/v1/leads", json=lead_body())).json()
            status = (await website.get(back["status_url"])).json()
    assert (status["lead_type"], status["previous_lead_id"]) == (
        "repeat_customer",
        first["lead_id"],
    )
