"""Qualification over HTTP: checklist versions, every outcome, and operators' verdicts."""

import httpx
from fastapi import FastAPI

from conveyor.events.catalogue.intake import LeadDisqualified, LeadNurtured, LeadQualified
from conveyor.intake.config import Settings

from .conftest import ADMIN, client_for, lead_body, register_source
from .test_events import read_leads_topic

STRICT = {
    "required": ["interest.budget"],
    "disqualifiers": [
        {"field": "email.domain", "op": "in", "value": ["rival.com"], "reason": "competitor"}
    ],
    "signals": [
        {"field": "contact.email", "op": "present", "reason": "has e-mail", "weight": 30},
        {
            "field": "interest.budget",
            "op": "at_least",
            "value": 10000,
            "reason": "budget",
            "weight": 50,
        },
        {
            "field": "answers.timeline",
            "op": "equals",
            "value": "this quarter",
            "reason": "soon",
            "weight": 40,
        },
    ],
    "target_from": 70,
    "nurture_from": 20,
    "recheck_days": 14,
}


def body(email: str, budget: str | None = None) -> dict[str, object]:
    interest = {"budget": budget} if budget else {}
    return lead_body(contact={"name": "Ada", "email": email}, interest=interest)


async def status(client: httpx.AsyncClient, response: httpx.Response) -> dict[str, object]:
    got: dict[str, object] = (await client.get(response.json()["status_url"])).json()
    return got


async def test_the_default_checklist_is_version_one(client: httpx.AsyncClient) -> None:
    current = await client.get("/v1/checklists/current", headers=ADMIN)
    assert current.status_code == 200
    assert current.json()["version"] == 1


async def test_a_published_checklist_decides_every_outcome_and_each_verdict_names_it(
    website: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    published = await client.post("/v1/checklists", json=STRICT, headers=ADMIN)
    assert published.status_code == 201
    version = published.json()["version"]
    target = await status(website, await website.post("/v1/leads", json=body("a@x.org", "20000")))
    nurture = await status(website, await website.post("/v1/leads", json=body("b@x.org")))
    reject = await status(website, await website.post("/v1/leads", json=body("c@rival.com", "5")))
    assert (target["status"], target["checklist_version"], target["score"]) == (
        "qualified",
        version,
        80,
    )
    assert (nurture["status"], nurture["reasons"][0]) == ("nurtured", "missing: interest.budget")
    assert nurture["recheck_after"]
    assert (reject["status"], reject["reasons"][0]) == ("disqualified", "disqualified: competitor")


async def test_each_verdict_reaches_the_bus_as_its_own_event(
    website: httpx.AsyncClient, client: httpx.AsyncClient, settings: Settings, unique_name: str
) -> None:
    version = (await client.post("/v1/checklists", json=STRICT, headers=ADMIN)).json()["version"]
    for email, budget in (("a@x.org", "20000"), ("b@x.org", None), ("c@rival.com", "5")):
        await website.post("/v1/leads", json=body(email, budget))
    events = await read_leads_topic(settings.bus_url, 8, unique_name)
    verdicts = [
        e.data
        for e in events
        if isinstance(e.data, LeadQualified | LeadNurtured | LeadDisqualified)
    ]
    assert [type(v) for v in verdicts] == [LeadQualified, LeadNurtured, LeadDisqualified]
    assert {v.checklist_version for v in verdicts} == {version}


async def test_a_bad_checklist_is_a_problem_naming_the_field(client: httpx.AsyncClient) -> None:
    bad = {"signals": [{"field": "x", "op": "resembles", "reason": "?"}], "target_from": 500}
    response = await client.post("/v1/checklists", json=bad, headers=ADMIN)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"signals.0.op", "target_from"}


async def test_an_operators_answers_override_the_checklist_and_are_recorded_as_theirs(
    website: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await client.post("/v1/checklists", json=STRICT, headers=ADMIN)
    posted = await website.post("/v1/leads", json=body("a@x.org", "5000"))
    assert (await status(website, posted))["status"] == "nurtured"
    lead_id = posted.json()["lead_id"]
    answer = {"operator": "ann", "answers": {"timeline": "this quarter"}, "note": "ready to go"}
    verdict = await website.post(f"/v1/leads/{lead_id}/qualification", json=answer)
    assert verdict.status_code == 200, verdict.text
    assert (verdict.json()["outcome"], verdict.json()["score"]) == ("target", 70)
    after = await status(website, posted)
    assert (after["status"], after["qualified_by"]) == ("qualified", "operator:ann")
    assert after["reasons"][-1] == "operator ann: ready to go"


async def test_an_operator_can_reject_a_lead_the_checklist_let_through(
    website: httpx.AsyncClient,
) -> None:
    posted = await website.post("/v1/leads", json=lead_body())
    lead_id = posted.json()["lead_id"]
    answer = {"operator": "bob", "outcome": "reject", "note": "a student project"}
    verdict = await website.post(f"/v1/leads/{lead_id}/qualification", json=answer)
    assert verdict.json()["outcome"] == "reject"
    after = await status(website, posted)
    assert (after["status"], after["qualified_by"]) == ("disqualified", "operator:bob")


async def test_another_source_cannot_qualify_a_lead_that_is_not_its_own(
    app: FastAPI, website: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    lead_id = (await website.post("/v1/leads", json=lead_body())).json()["lead_id"]
    async with client_for(app, await register_source(client, "intruder")) as intruder:
        answer = {"operator": "eve", "outcome": "reject"}
        response = await intruder.post(f"/v1/leads/{lead_id}/qualification", json=answer)
    assert response.status_code == 404
    assert (await website.get(f"/v1/leads/{lead_id}")).json()["status"] == "qualified"
