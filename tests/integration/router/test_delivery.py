"""Delivery to reps' apps, in-process router on SQLite and the embedded bus, real HTTP
receivers verifying with the ``standardwebhooks`` library: signatures across a secret
rotation, a receiver down then up, timeouts, refused connections, dead letters and replay,
410 Gone and unhealthy endpoints whose leads move on."""

from typing import Any

import httpx

from conveyor.router.config import Settings
from tests.integration.router.conftest import Router, events, named, register
from tests.integration.router.receiver import Receiver
from tests.integration.router.test_router_app import publish_qualified
from tests.support import free_port, wait_for


async def test_every_delivery_verifies_with_standardwebhooks_across_a_secret_rotation(
    router: Router, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    async with router() as client:
        rep = await register(client, state, url, "ana")
        old = rep["webhook_secret"]
        assert (
            old.startswith("whsec_")
            and "webhook_secret" not in (await client.get("/v1/reps/ana")).json()
        ) or (await client.get("/v1/reps/ana")).json()["webhook_secret"] is None
        await publish_qualified(settings, ["l1"])
        await wait_for(lambda: _count(state.accepted, 1), what="the first lead")
        rotated = await client.post("/v1/reps/ana/webhook-secret")
        assert rotated.status_code == 201
        new = rotated.json()["webhook_secret"]
        state.secrets["ana"] = [old, new]
        await publish_qualified(settings, ["l2"])
        await wait_for(lambda: _count(state.accepted, 2), what="the second lead")
    assert [a["verified"] for a in state.attempts] == [[True], [True, True]]
    rotation = named(await events(settings), "RepWebhookSecretRotated")
    assert rotation[-1].previous_expires_at is not None
    assert all(old not in str(e) and new not in str(e) for e in await events(settings))


async def test_a_receiver_down_then_up_gets_every_lead_once_in_order_per_rep(
    router: Router, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    async with router() as client:
        for rep_id in ("ana", "ben"):
            await register(client, state, url, rep_id)
        state.answer("ana", 503, 503, 503, 500)
        state.answer("ben", 502, 503)
        leads = [f"l{n}" for n in range(1, 7)]
        await publish_qualified(settings, leads)
        await wait_for(lambda: _count(state.accepted, 6), what="six leads accepted")
    found = await events(settings)
    offers = named(found, "LeadAssigned")
    for rep_id in ("ana", "ben"):
        sent = [o.lead_id for o in offers if o.rep_id == rep_id]
        assert [a["payload"]["lead_id"] for a in state.for_rep(rep_id)] == sent
    ids = [a["webhook_id"] for a in state.accepted]
    assert len(set(ids)) == 6
    failed = named(found, "WebhookDeliveryFailed")
    assert sorted(f.status_code for f in failed) == [500, 502, 503, 503, 503, 503]
    assert all(f.next_attempt_at is not None for f in failed)
    assert {f.message_id for f in failed} <= set(ids)
    assert all(all(a["verified"]) for a in state.attempts)


async def test_timeouts_and_refused_connections_are_retried_then_dead_lettered_and_replayed(
    router: Router, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    closed = f"http://127.0.0.1:{free_port()}/hooks/ben"
    async with router(webhook_retry_schedule=[0.1, 0.1], webhook_timeout=0.5) as client:
        await register(client, state, url, "ana")
        await register(client, state, url, "ben", webhook_url=closed)
        state.answer("ana", "hang", "hang", "hang")
        await publish_qualified(settings, ["l1", "l2"])
        letters = await wait_for(lambda: _dead_letters(client, 2), what="two dead letters")
        errors = {letter["rep_id"]: letter["last_error"] for letter in letters}
        assert "timed out" in errors["ana"] and letters[0]["attempts"] == 3
        assert "ConnectError" in errors["ben"] or "refused" in errors["ben"].lower()
        fixed = await client.patch("/v1/reps/ben", json={"webhook_url": f"{url}/hooks/ben"})
        assert fixed.status_code == 200
        for letter in letters:
            replay = await client.post(f"/v1/webhooks/dead-letters/{letter['message_id']}/replay")
            assert replay.status_code == 200 and replay.json()["status"] == "pending"
        await wait_for(lambda: _count(state.accepted, 2), what="both replayed")
        assert (await client.get("/v1/webhooks/dead-letters")).json() == []
        again = await client.post(f"/v1/webhooks/dead-letters/{letters[0]['message_id']}/replay")
        assert again.status_code == 404
    assert {a["webhook_id"] for a in state.accepted} == {m["message_id"] for m in letters}
    found = await events(settings)
    assert len(named(found, "WebhookDeadLettered")) == 2
    assert len(named(found, "WebhookReplayed")) == 2
    assert named(found, "LeadAssigned")[0].rep_id == "ana"


async def test_410_gone_disables_the_endpoint_and_its_leads_go_to_another_rep(
    router: Router, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    async with router() as client:
        await register(client, state, url, "ana")
        await register(client, state, url, "ben")
        state.answer("ana", 410)
        await publish_qualified(settings, ["l1"])
        await wait_for(lambda: _count(state.accepted, 1), what="the lead at ben's")
        assert state.accepted[0]["rep_id"] == "ben"
        assert (await client.get("/v1/reps/ana")).json()["webhook_status"] == "disabled"
        await publish_qualified(settings, ["l2"])
        await wait_for(lambda: _count(state.accepted, 2), what="the next lead")
        assert state.for_rep("ana") == []
        letters = (await client.get("/v1/webhooks/dead-letters", params={"rep_id": "ana"})).json()
        assert [letter["kind"] for letter in letters] == ["lead.assigned", "lead.withdrawn"]
        patched = await client.patch("/v1/reps/ana", json={"webhook_url": f"{url}/hooks/ana"})
        assert patched.json()["webhook_status"] == "healthy"
    found = await events(settings)
    moved = named(found, "LeadReassigned")
    assert [(m.from_rep_id, m.to_rep_id) for m in moved] == [("ana", "ben")]
    assert "410" in named(found, "RepWebhookStatusChanged")[0].reason


async def test_a_failing_endpoint_turns_unhealthy_its_leads_move_on_and_it_recovers(
    router: Router, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    async with router(webhook_unhealthy_after=2, webhook_retry_schedule=[0.1, 1.0, 0.1]) as client:
        await register(client, state, url, "ana")
        await register(client, state, url, "ben")
        state.answer("ana", 500, 500)
        await publish_qualified(settings, ["l1"])
        await wait_for(lambda: _count(state.accepted, 1), what="the lead moved to ben")
        assert state.accepted[0]["rep_id"] == "ben"
        await wait_for(lambda: _status(client, "ana", "healthy"), what="ana's endpoint back")
        await wait_for(lambda: _count(state.accepted, 3), what="ana's withdrawn offer and notice")
        await publish_qualified(settings, ["l2"])
        await wait_for(lambda: _count(state.accepted, 4), what="the next lead")
    kinds = [(a["rep_id"], a["payload"]["type"]) for a in state.accepted]
    assert kinds[1:3] == [("ana", "lead.assigned"), ("ana", "lead.withdrawn")]
    assert kinds[3] == ("ana", "lead.assigned")
    statuses = [e.status for e in named(await events(settings), "RepWebhookStatusChanged")]
    assert statuses == ["unhealthy", "healthy"]


async def _count(items: list[Any], n: int) -> bool:
    return len(items) >= n


async def _dead_letters(client: httpx.AsyncClient, n: int) -> list[dict[str, Any]] | None:
    letters: list[dict[str, Any]] = (await client.get("/v1/webhooks/dead-letters")).json()
    return letters if len(letters) >= n else None


async def _status(client: httpx.AsyncClient, rep_id: str, status: str) -> bool:
    return bool((await client.get(f"/v1/reps/{rep_id}")).json()["webhook_status"] == status)
