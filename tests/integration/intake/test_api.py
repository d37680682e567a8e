"""The HTTP API against the real app, a SQLite database and the embedded bus."""

import httpx

from .conftest import PUBLIC_URL, lead_body

PROBLEM_JSON = "application/problem+json"


async def test_a_posted_lead_is_accepted_and_its_status_url_shows_it_qualified(
    website: httpx.AsyncClient,
) -> None:
    posted = await website.post("/v1/leads", json=lead_body())
    assert posted.status_code == 202
    receipt = posted.json()
    assert receipt["status_url"] == f"{PUBLIC_URL}/v1/leads/{receipt['lead_id']}"
    assert posted.headers["location"] == receipt["status_url"]
    status = await website.get(receipt["status_url"])
    assert status.status_code == 200
    assert status.json() == {
        "lead_id": receipt["lead_id"],
        "source": "website",
        "channel": "web_form",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": None,
        "company": "Analytical",
        "status": "qualified",
        "score": 70,
        "temperature": "hot",
        "received_at": status.json()["received_at"],
        "duplicate_of": None,
        "previous_lead_id": None,
        "touches": 0,
        "lead_type": "new_enquiry",
        "checklist_version": 1,
        "reasons": [
            "score 70 reaches target (40)",
            "has an e-mail address",
            "names a company",
            "names product lines",
        ],
        "recheck_after": None,
        "qualified_by": "checklist",
        "won_at": None,
    }


async def test_a_lead_with_only_a_name_and_phone_comes_in_on_its_sources_channel(
    website: httpx.AsyncClient,
) -> None:
    posted = await website.post(
        "/v1/leads", json={"contact": {"name": "Bo", "phone": "+44 20 7946 0000"}}
    )
    assert posted.status_code == 202
    status = (await website.get(posted.json()["status_url"])).json()
    assert (status["channel"], status["source"], status["temperature"]) == (
        "web_form",
        "website",
        "cold",
    )


async def test_a_lead_without_a_name_is_a_problem_naming_contact_name(
    website: httpx.AsyncClient,
) -> None:
    response = await website.post("/v1/leads", json=lead_body(contact={"email": "a@example.com"}))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [e["field"] for e in response.json()["errors"]] == ["contact.name"]


async def test_a_blank_name_is_a_problem_naming_contact_name(website: httpx.AsyncClient) -> None:
    body = lead_body(contact={"name": "   ", "email": "a@example.com"})
    response = await website.post("/v1/leads", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["contact.name"]


async def test_a_lead_without_email_or_phone_is_a_problem_naming_contact(
    website: httpx.AsyncClient,
) -> None:
    response = await website.post("/v1/leads", json=lead_body(contact={"name": "Ada"}))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"] == [
        {"field": "contact", "reason": "a lead needs an e-mail address or a phone number"}
    ]


async def test_a_blank_email_is_a_problem_naming_contact_email(website: httpx.AsyncClient) -> None:
    response = await website.post("/v1/leads", json=lead_body(contact={"name": "A", "email": " "}))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["contact.email"]


async def test_an_unknown_channel_is_a_problem_naming_channel(website: httpx.AsyncClient) -> None:
    response = await website.post("/v1/leads", json=lead_body(channel="pigeon"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["channel"]


async def test_an_unknown_lead_is_a_404_problem(website: httpx.AsyncClient) -> None:
    response = await website.get("/v1/leads/no-such-lead")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Lead not found"


async def test_the_service_is_alive_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "bus": "ok", "workers": "ok"},
    }
