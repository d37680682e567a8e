"""Duplicates over HTTP and on the bus: a touch on the existing lead, visible to its owner."""

import json

import httpx
from fastapi import FastAPI

from conveyor.events.catalogue.intake import LeadDuplicateDetected
from conveyor.intake.config import Settings

from .conftest import client_for, count_leads, lead_body, register_source
from .test_events import read_leads_topic


async def test_the_same_person_again_is_answered_as_a_touch_on_the_first_lead(
    website: httpx.AsyncClient,
) -> None:
    first = (await website.post("/v1/leads", json=lead_body())).json()
    again = await website.post(
        "/v1/leads", json=lead_body(contact={"name": "Ada", "email": "ADA@Example.com"})
    )
    assert again.status_code == 202
    touch = again.json()
    assert touch["duplicate_of"] == first["lead_id"] != touch["lead_id"]
    touch_status = (await website.get(touch["status_url"])).json()
    assert (touch_status["status"], touch_status["duplicate_of"]) == ("duplicate", first["lead_id"])
    lead_status = (await website.get(first["status_url"])).json()
    assert (lead_status["status"], lead_status["touches"]) == ("qualified", 1)


async def test_a_touch_is_published_on_the_existing_leads_stream(
    website: httpx.AsyncClient, settings: Settings, unique_name: str
) -> None:
    first = (await website.post("/v1/leads", json=lead_body())).json()["lead_id"]
    touch = (await website.post("/v1/leads", json=lead_body())).json()["lead_id"]
    events = await read_leads_topic(settings.bus_url, 5, unique_name)
    detected = events[-1]
    assert isinstance(detected.data, LeadDuplicateDetected)
    assert detected.subject == detected.data.lead_id == first
    assert (detected.data.touch_id, detected.data.matched_on) == (touch, "email")


async def test_another_sources_duplicate_does_not_open_the_first_sources_lead(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    a_key, b_key = await register_source(client, "site-a"), await register_source(client, "site-b")
    async with client_for(app, a_key) as site_a, client_for(app, b_key) as site_b:
        first = (await site_a.post("/v1/leads", json=lead_body())).json()["lead_id"]
        touch = (await site_b.post("/v1/leads", json=lead_body())).json()
        assert touch["duplicate_of"] is None, "another source's lead id must not be shown"
        assert (await site_b.get(f"/v1/leads/{first}")).status_code == 404
        status = (await site_b.get(touch["status_url"])).json()
        assert status["status"] == "duplicate"
        assert status["duplicate_of"] is None
        assert first not in json.dumps(status)
    assert await count_leads(settings.database_url) == 2
