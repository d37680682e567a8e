"""The KPI read models follow the bus: intake's events, the router's own decisions and
followup's handover arrive through the KPI consumer group, each counted once however
often it is delivered, and a lead's story tells them in order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from conveyor.events import Envelope, new_envelope
from conveyor.events.catalogue.followup import AccountHandedOver
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived
from conveyor.events.catalogue.values import LeadSnapshot
from conveyor.events.codec import encode
from conveyor.events.transport import OutboundMessage, transport_from_url
from conveyor.router.config import Settings
from tests.integration.router.conftest import Router
from tests.support import wait_for

ADMIN = {"Authorization": "Bearer admin-secret"}


async def publish(bus_url: str, envelopes: list[Envelope]) -> None:
    """Put events on the bus as their services' relays would."""
    transport = transport_from_url(bus_url)
    sink = transport.sink()
    await sink.start()
    await sink.publish([OutboundMessage(e.data.topic, encode(e)) for e in envelopes])
    await sink.stop()
    await transport.close()


def arrival(lead_id: str) -> list[Envelope]:
    lead = LeadSnapshot.model_validate(
        {"lead_id": lead_id, "source": "web", "channel": "web_form", "contact": {"name": "Ada"}}
    )
    received = LeadReceived(lead_id=lead_id, lead=lead, received_at=datetime.now(UTC))
    qualified = LeadQualified(lead_id=lead_id, lead=lead, score=90, temperature="hot")
    return [
        new_envelope(event, subject=lead_id, source="/conveyor/intake")
        for event in (received, qualified)
    ]


async def summary(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/v1/kpis/summary")
    assert response.status_code == 200, response.text
    stages: dict[str, Any] = response.json()["stages"]
    return stages


async def test_a_lead_is_counted_from_the_bus_once_through_each_stage(
    router: Router, settings: Settings
) -> None:
    async with router(admin_token="admin-secret") as client:
        client.headers.update(ADMIN)
        rep = {"rep_id": "ana", "name": "Ana", "role": "hunter"}
        assert (await client.post("/v1/reps", json=rep)).status_code == 201
        key = (await client.post("/v1/reps/ana/keys")).json()["key"]
        ana = {"Authorization": f"Bearer {key}"}
        came = arrival("f1")
        await publish(settings.bus_url, came + came)  # delivered twice

        async def offered() -> Any:
            rows = (await client.get("/v1/assignments", params={"lead_id": "f1"})).json()
            return rows[0]["assignment_id"] if rows else None

        assignment = await wait_for(offered, what="the lead offered to ana")
        assert (await client.post(f"/v1/assignments/{assignment}/accept", headers=ana)).is_success
        won = {"amount": "250.00", "currency": "EUR"}
        path = f"/v1/assignments/{assignment}/won"
        assert (await client.post(path, json=won, headers=ana)).is_success
        handed = AccountHandedOver(
            account_id="acc-1", lead_id="f1", hunter_id="ana", farmer_id="fay", reason="portfolio"
        )
        await publish(
            settings.bus_url, [new_envelope(handed, subject="acc-1", source="/conveyor/followup")]
        )

        async def counted() -> Any:
            stages = await summary(client)
            return stages if stages["won"] == 1 else None

        stages = await wait_for(counted, what="the won lead in the KPIs")
        assert stages == {
            "received": 1,
            "offered": 1,
            "accepted": 1,
            "contacted": 0,
            "meeting_set": 0,
            "won": 1,
            "lost": 0,
        }

        async def told() -> Any:
            events = (await client.get("/v1/leads/f1/story")).json().get("events", [])
            return events if any(e["type"].startswith("conveyor.account") for e in events) else None

        story = await wait_for(told, what="the handover in the lead's story")
        types = [e["type"] for e in story]
        assert types[:2] == ["conveyor.lead.received", "conveyor.lead.qualified"]
        assert types.index("conveyor.lead.assigned") < types.index("conveyor.lead.accepted")
        assert types.index("conveyor.deal.won") < types.index("conveyor.account.handed_over")
        assert types.count("conveyor.lead.received") == types.count("conveyor.lead.qualified") == 1
        mine = (await client.get("/v1/kpis/reps", headers=ana)).json()["rows"]
        assert [(r["rep_id"], r["won"], r["revenue"]) for r in mine] == [("ana", 1, "250.00")]
