"""Reps' credentials and endpoint safety over the router's HTTP API: a rep reads and acts
on their own assignments only; the admin API needs the admin token; webhook URLs pointing
at loopback, private or metadata addresses are refused when registered and again when a
delivery is due."""

from typing import Any

import httpx
import pytest

from tests.integration.router.conftest import Router, events, named, register
from tests.integration.router.receiver import Receiver
from tests.integration.router.test_router_app import publish_qualified
from tests.support import wait_for

ADMIN = {"Authorization": "Bearer admin-secret"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def key_for(client: httpx.AsyncClient, rep_id: str) -> str:
    response = await client.post(f"/v1/reps/{rep_id}/keys")
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


async def offers(client: httpx.AsyncClient, n: int) -> list[dict[str, Any]] | None:
    rows: list[dict[str, Any]] = (await client.get("/v1/assignments")).json()
    return rows if len(rows) >= n else None


async def test_a_rep_acts_only_on_their_own_assignments(
    router: Router, settings: Any, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    async with router(admin_token="admin-secret") as client:
        client.headers.update(ADMIN)
        await register(client, state, url, "ana")
        await register(client, state, url, "ben")
        keys = {rep: await key_for(client, rep) for rep in ("ana", "ben")}
        await publish_qualified(settings, ["l1", "l2"])
        rows = await wait_for(lambda: offers(client, 2), what="two offers")
        mine = {row["rep_id"]: row["assignment_id"] for row in rows}
        ana, ben = bearer(keys["ana"]), bearer(keys["ben"])
        path = f"/v1/assignments/{mine['ana']}"
        for method, suffix, body in (
            ("GET", "", None),
            ("POST", "/accept", None),
            ("POST", "/decline", {"reason": "not mine"}),
            ("POST", "/outcomes", {"outcome": "contacted"}),
            ("POST", "/won", {"amount": "10", "currency": "EUR"}),
        ):
            denied = await client.request(method, path + suffix, json=body, headers=ben)
            assert denied.status_code == 403, (suffix, denied.text)
            assert denied.headers["content-type"] == "application/problem+json"
        listed = (await client.get("/v1/assignments", headers=ben)).json()
        assert [row["rep_id"] for row in listed] == ["ben"]
        own = (await client.get(path, headers=ana)).json()
        assert own["lead"]["lead_id"] == "l1" and own["status"] == "offered"
        accepted = await client.post(path + "/accept", headers=ana)
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        assert (await client.post(path + "/accept", headers=ana)).status_code == 409
        assert (await client.get("/v1/reps", headers=ana)).status_code == 403
        assert (await client.get("/v1/reps", headers={"Authorization": ""})).status_code == 401
        key_id = keys["ana"].split("_")[1]
        revoked = await client.delete(f"/v1/reps/ana/keys/{key_id}")
        assert revoked.status_code == 204
        assert (await client.get(path, headers=ana)).status_code == 401


async def test_a_decline_moves_the_lead_and_outcomes_are_checked(
    router: Router, settings: Any, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    async with router() as client:
        await register(client, state, url, "ana")
        await register(client, state, url, "ben")
        key = await key_for(client, "ana")
        await publish_qualified(settings, ["l1"])
        rows = await wait_for(lambda: offers(client, 1), what="the offer")
        path = f"/v1/assignments/{rows[0]['assignment_id']}"
        bad = await client.post(path + "/outcomes", json={"outcome": "won"}, headers=bearer(key))
        assert bad.status_code == 422 and bad.json()["errors"]
        empty = await client.post(path + "/decline", json={"reason": ""}, headers=bearer(key))
        assert empty.status_code == 422
        assert [e["field"] for e in empty.json()["errors"]] == ["reason"]
        declined = await client.post(
            path + "/decline", json={"reason": "wrong region"}, headers=bearer(key)
        )
        assert declined.json()["status"] == "declined"
        await wait_for(lambda: _accepted_by(state, "ben"), what="the lead at ben's")
    found = await events(settings)
    assert [e.reason for e in named(found, "LeadDeclined")] == ["wrong region"]
    assert [e.rep_id for e in named(found, "LeadAssigned")] == ["ana", "ben"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "https"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://localhost:8443/x", "loopback"),
        ("https://10.1.2.3/x", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[::1]/x", "loopback"),
        ("https://[fd00:ec2::254]/x", "metadata"),
    ],
)
async def test_unsafe_webhook_urls_are_refused_when_registered(
    router: Router, url: str, why: str
) -> None:
    async with router(webhook_require_https=True, webhook_allow_loopback=False) as client:
        body = {"rep_id": "ana", "name": "Ana", "role": "hunter", "webhook_url": url}
        refused = await client.post("/v1/reps", json=body)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["errors"][0]["field"] == "webhook_url"
        assert why in problem["errors"][0]["reason"].lower()
        patch = await client.patch("/v1/reps/ana", json={"webhook_url": url})
        assert patch.status_code in (404, 422)


async def test_an_endpoint_that_became_unsafe_is_refused_at_delivery_time(
    router: Router, settings: Any, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    async with router() as client:
        await register(client, state, url, "ana")
    async with router(webhook_allow_loopback=False, webhook_retry_schedule=[0.1]):
        await publish_qualified(settings, ["l1"])

        async def refused() -> list[Any] | None:
            return named(await events(settings), "WebhookDeadLettered") or None

        await wait_for(refused, what="the refused delivery dead-lettered")
    failed = named(await events(settings), "WebhookDeliveryFailed")
    assert failed and all(f.error.startswith("refused") for f in failed)
    assert "loopback" in failed[0].error
    assert state.attempts == []


async def _accepted_by(state: Receiver, rep_id: str) -> bool:
    return bool(state.for_rep(rep_id))


async def test_a_reps_holiday_calendar_is_checked_and_kept(router: Router) -> None:
    async with router() as client:
        body = {"rep_id": "ana", "name": "Ana", "role": "hunter"}
        bad = await client.post("/v1/reps", json={**body, "holiday_country": "XX"})
        assert bad.status_code == 422 and "XX" in bad.text
        made = await client.post(
            "/v1/reps", json={**body, "holiday_country": "DE", "holiday_subdivision": "BY"}
        )
        assert made.status_code == 201
        assert made.json()["settings"]["holiday_subdivision"] == "BY"
