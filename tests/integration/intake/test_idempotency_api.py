"""Idempotency-Key over HTTP: a retry gets the first answer; a different body gets 409."""

import httpx

from conveyor.intake.config import Settings

from .conftest import count_leads, lead_body


async def post(client: httpx.AsyncClient, body: dict[str, object], key: str) -> httpx.Response:
    return await client.post("/v1/leads", json=body, headers={"Idempotency-Key": key})


async def test_the_same_key_and_body_returns_the_original_response_and_one_lead(
    website: httpx.AsyncClient, settings: Settings
) -> None:
    first = await post(website, lead_body(), "retry-1")
    again = await post(website, lead_body(), "retry-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_leads(settings.database_url) == 1


async def test_the_same_key_with_a_different_body_is_a_409_problem(
    website: httpx.AsyncClient,
) -> None:
    await post(website, lead_body(), "retry-1")
    response = await post(website, lead_body(consent=False), "retry-1")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-1" in response.json()["detail"]


async def test_the_same_body_under_another_key_is_a_new_lead(website: httpx.AsyncClient) -> None:
    first = await post(website, lead_body(), "retry-1")
    second = await post(website, lead_body(), "retry-2")
    assert first.json()["lead_id"] != second.json()["lead_id"]
