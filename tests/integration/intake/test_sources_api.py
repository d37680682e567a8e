"""Sources over HTTP: the admin API, keys, isolation between sources, revocation, rate limits."""

import httpx
import pytest
from fastapi import FastAPI

from .conftest import ADMIN, bearer, client_for, lead_body, register_source

PROBLEM_JSON = "application/problem+json"


async def test_posting_without_a_key_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/leads", json=lead_body())
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    forged = "cvk_0123456789ab_" + "x" * 43
    response = await client.post("/v1/leads", json=lead_body(), headers=bearer(forged))
    assert response.status_code == 401


async def test_the_admin_api_refuses_no_token_and_source_keys(client: httpx.AsyncClient) -> None:
    key = await register_source(client, "website")
    assert (await client.get("/v1/sources")).status_code == 401
    assert (await client.get("/v1/sources", headers=bearer(key))).status_code == 403
    assert (await client.get("/v1/sources", headers=bearer("wrong-admin-token"))).status_code == 401


async def test_the_admin_lists_sources_without_their_keys(client: httpx.AsyncClient) -> None:
    key = await register_source(client, "website", channel="web_form", rate=30)
    [listed] = (await client.get("/v1/sources", headers=ADMIN)).json()
    assert listed["source_id"] == "website"
    assert (listed["channel"], listed["rate_limit_per_minute"], listed["revoked"]) == (
        "web_form",
        30,
        False,
    )
    assert key not in str(listed) and "key_hash" not in listed
    assert key.split("_")[1] == listed["key_id"]


async def test_registering_a_source_twice_is_409_and_a_bad_channel_422(
    client: httpx.AsyncClient,
) -> None:
    await register_source(client, "website")
    body = {"source_id": "website", "name": "Again", "channel": "web_form"}
    assert (await client.post("/v1/sources", json=body, headers=ADMIN)).status_code == 409
    bad = {**body, "source_id": "Not A Slug", "channel": "pigeon"}
    response = await client.post("/v1/sources", json=bad, headers=ADMIN)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"source_id", "channel"}


async def test_a_source_cannot_read_another_sources_lead(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a_key, b_key = await register_source(client, "site-a"), await register_source(client, "site-b")
    async with client_for(app, a_key) as site_a, client_for(app, b_key) as site_b:
        lead_id = (await site_a.post("/v1/leads", json=lead_body())).json()["lead_id"]
        assert (await site_a.get(f"/v1/leads/{lead_id}")).json()["source"] == "site-a"
        theirs = await site_b.get(f"/v1/leads/{lead_id}")
    assert theirs.status_code == 404
    assert "Ada" not in theirs.text
    assert (await client.get(f"/v1/leads/{lead_id}", headers=ADMIN)).status_code == 200


async def test_a_source_cannot_post_as_another_source(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with client_for(app, await register_source(client, "site-a")) as site_a:
        response = await site_a.post("/v1/leads", json=lead_body(source="site-b"))
        own = await site_a.post("/v1/leads", json=lead_body(source="site-a"))
    assert response.status_code == 403
    assert own.status_code == 202


async def test_the_admin_token_cannot_post_leads(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/leads", json=lead_body(), headers=ADMIN)
    assert response.status_code == 403


async def test_a_revoked_source_gets_401_for_posting_and_reading(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with client_for(app, await register_source(client, "website")) as website:
        lead_id = (await website.post("/v1/leads", json=lead_body())).json()["lead_id"]
        revoked = await client.post(
            "/v1/sources/website/revocation", json={"reason": "contract ended"}, headers=ADMIN
        )
        assert revoked.status_code == 204
        posted = await website.post("/v1/leads", json=lead_body())
        read = await website.get(f"/v1/leads/{lead_id}")
    assert (posted.status_code, read.status_code) == (401, 401)
    assert "revoked" in posted.json()["detail"]
    again = await client.post("/v1/sources/website/revocation", headers=ADMIN)
    assert again.status_code == 409


async def test_a_rotated_key_replaces_the_old_one_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    old = await register_source(client, "website")
    rotated = await client.post("/v1/sources/website/key", headers=ADMIN)
    assert rotated.status_code == 200
    new = rotated.json()["api_key"]
    async with client_for(app, old) as with_old, client_for(app, new) as with_new:
        assert (await with_old.post("/v1/leads", json=lead_body())).status_code == 401
        assert (await with_new.post("/v1/leads", json=lead_body())).status_code == 202


async def test_rotating_an_unknown_source_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/sources/nobody/key", headers=ADMIN)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.usefixtures("one_rate_window")
async def test_a_source_over_its_rate_limit_gets_429_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with client_for(app, await register_source(client, "slow", rate=3)) as slow:
        answers = [(await slow.post("/v1/leads", json=lead_body())) for _ in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert answers[-1].headers["content-type"] == PROBLEM_JSON


@pytest.mark.usefixtures("one_rate_window")
async def test_one_sources_rate_limit_does_not_slow_another(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    slow_key, other_key = (
        await register_source(client, "slow", rate=1),
        await register_source(client, "other"),
    )
    async with client_for(app, slow_key) as slow, client_for(app, other_key) as other:
        await slow.post("/v1/leads", json=lead_body())
        assert (await slow.post("/v1/leads", json=lead_body())).status_code == 429
        assert (await other.post("/v1/leads", json=lead_body())).status_code == 202


@pytest.mark.usefixtures("one_rate_window")
async def test_every_request_counts_and_a_refused_one_is_answered_so_whatever_else_is_wrong(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A request to post a lead counts against its source's limit whatever is wrong with it
    (a body its schema or the cleaning refuses, another source named); once over the limit,
    or with the key's source revoked, the answer is 429 (or 401), not what the body got
    wrong."""
    not_a_lead = {"contact": "nobody"}  # refused by the body's schema
    bad_address = lead_body(contact={"name": "x", "email": "not an address"})  # by cleaning
    elsewhere = lead_body(source="someone-else")
    async with client_for(app, await register_source(client, "slow", rate=3)) as slow:
        bodies = (not_a_lead, bad_address, elsewhere)
        first = [await slow.post("/v1/leads", json=body) for body in bodies]
        over = [await slow.post("/v1/leads", json=body) for body in (*bodies, lead_body())]
    assert [a.status_code for a in first] == [422, 422, 403]
    assert [a.status_code for a in over] == [429] * 4
    assert all(a.headers["content-type"] == PROBLEM_JSON for a in first + over)
    assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in over)
    async with client_for(app, await register_source(client, "gone")) as gone:
        assert (await gone.post("/v1/leads", json=lead_body())).status_code == 202  # key seen
        revoked = await client.post("/v1/sources/gone/revocation", headers=ADMIN)
        assert revoked.status_code == 204
        refused = [await gone.post("/v1/leads", json=body) for body in bodies]
    assert [a.status_code for a in refused] == [401] * 3
    assert all("revoked" in a.json()["detail"] for a in refused)


@pytest.mark.usefixtures("one_rate_window")
async def test_a_batch_whose_header_fails_validation_counts_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A batch is counted before its parameters are validated: an invalid Idempotency-Key
    is a 422 that took one request of the limit, not two."""
    async with client_for(app, await register_source(client, "importer", rate=2)) as importer:
        refused = await importer.post(
            "/v1/leads:batch", json=[lead_body()], headers={"Idempotency-Key": ""}
        )
        second = await importer.post("/v1/leads", json=lead_body())
        third = await importer.post("/v1/leads", json=lead_body())
    assert (refused.status_code, second.status_code, third.status_code) == (422, 202, 429)
