"""Validation over HTTP: canonical values are stored; each bad field is named in the 422."""

import httpx

from .conftest import lead_body


async def test_a_lead_is_stored_with_canonical_contact_and_location(
    website: httpx.AsyncClient,
) -> None:
    body = lead_body(
        contact={
            "name": " Zoe\u0301  Smith ",
            "email": "Zoe@Example.COM",
            "phone": "020 7946 0000",
        },
        location={"country": "gbr", "region": "lnd", "postal_code": " sw1a  1aa "},
    )
    posted = await website.post("/v1/leads", json=body)
    assert posted.status_code == 202, posted.text
    status = (await website.get(posted.json()["status_url"])).json()
    assert (status["name"], status["email"], status["phone"]) == (
        "Zo\u00e9 Smith",
        "Zoe@example.com",
        "+442079460000",
    )


async def test_every_bad_field_is_named_with_its_reason_in_one_problem(
    website: httpx.AsyncClient,
) -> None:
    body = lead_body(
        contact={"name": "Ada", "email": "ada@@example", "phone": "12"},
        location={"country": "Atlantis", "region": "Nowhere"},
    )
    response = await website.post("/v1/leads", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert set(errors) == {
        "contact.email",
        "contact.phone",
        "location.country",
        "location.region",
    }
    assert all(errors.values())


async def test_a_local_number_without_a_country_is_a_problem_naming_contact_phone(
    website: httpx.AsyncClient,
) -> None:
    body = {"contact": {"name": "Ada", "phone": "020 7946 0000"}}
    response = await website.post("/v1/leads", json=body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "contact.phone"
    assert "country" in error["reason"]


async def test_a_region_of_another_country_is_a_problem_naming_location_region(
    website: httpx.AsyncClient,
) -> None:
    body = lead_body(location={"country": "FR", "region": "Bayern"})
    response = await website.post("/v1/leads", json=body)
    assert [e["field"] for e in response.json()["errors"]] == ["location.region"]
