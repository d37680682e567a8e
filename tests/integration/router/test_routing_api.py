"""Reps' admin API, rules, explanations, unroutable leads and policies in time, over HTTP
on SQLite and the embedded bus."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.events.catalogue import build_registry
from conveyor.events.store import EventStore, create_engine
from conveyor.router.config import Settings
from tests.support import wait_for

from .harness import ManualClock, publish_leads, routed, router_app, snapshot, utc

MONDAY = utc("2026-03-02T10:00:00")
BY_TERRITORY = {
    "rules": [{"name": "by country", "pool": "sales",
               "match_rep": {"territories": "location.country"}}],
}  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        webhook_require_https=False,
        webhook_allow_loopback=True,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'router.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        retry_interval=0.2,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
async def router(settings: Settings, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    async with router_app(settings, clock) as (client, _):
        yield client


async def add_rep(router: httpx.AsyncClient, rep_id: str, **fields: Any) -> dict[str, Any]:
    body = {"rep_id": rep_id, "name": rep_id.title(), "role": "hunter", **fields}
    response = await router.post("/v1/reps", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def put_in_force(router: httpx.AsyncClient, policy: dict[str, Any], **when: str) -> int:
    drafted = await router.post("/v1/routing/policies", json=policy)
    assert drafted.status_code == 201, drafted.text
    version = int(drafted.json()["policy_version"])
    published = await router.post(f"/v1/routing/policies/{version}/publish", json=when)
    assert published.status_code == 200, published.text
    return version


async def test_every_change_to_a_rep_is_an_event_and_shows_in_the_api(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    hours = {"mon": [["09:00", "17:00"]]}
    created = await add_rep(router, "ana", time_zone="Europe/Berlin", working_hours=hours,
                            capacity={"per_day": 5}, territories=["DE"])  # fmt: skip
    assert created["settings"]["capacity"] == {"per_day": 5}
    patched = await router.patch("/v1/reps/ana", json={"weight": 3, "pools": ["sales"]})
    assert patched.json()["settings"]["weight"] == 3 and patched.json()["pools"] == ["sales"]
    off = await router.post("/v1/reps/ana/availability", json={"available": False})
    assert off.json()["available"] is False
    absence = {"starts_at": "2026-03-03T08:00:00Z", "ends_at": "2026-03-03T12:00:00Z"}
    made = await router.post("/v1/reps/ana/absences", json=absence)
    assert made.status_code == 201
    shown = (await router.get("/v1/reps/ana")).json()["absences"]
    assert [(a["absence_id"], a["ends_at"]) for a in shown] == [
        (made.json()["absence_id"], "2026-03-03T12:00:00Z")
    ]
    gone = await router.delete(f"/v1/reps/ana/absences/{made.json()['absence_id']}")
    assert gone.status_code == 204
    assert await _rep_events(router, settings) == [
        "conveyor.rep.registered",
        "conveyor.rep.webhook_secret_rotated",
        "conveyor.rep.updated",
        "conveyor.rep.availability_changed",
        "conveyor.rep.absence_scheduled",
        "conveyor.rep.absence_cancelled",
    ]


async def _rep_events(router: httpx.AsyncClient, settings: Settings) -> list[str]:
    engine = create_engine(settings.database_url)
    async with engine.connect() as conn:
        stream = await EventStore(build_registry()).read_stream(conn, "ana")
    await engine.dispose()
    return [r.envelope.type for r in stream]


async def test_bad_rep_settings_are_refused_naming_each_field(router: httpx.AsyncClient) -> None:
    bad = await router.post("/v1/reps", json={
        "rep_id": "ana", "name": "Ana", "role": "hunter", "time_zone": "Mars/Olympus",
        "working_hours": {"mon": [["17:00", "09:00"]], "funday": []},
        "capacity": {"per_day": -1}, "weight": 0,
    })  # fmt: skip
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"time_zone", "working_hours.funday.[key]", "capacity.per_day", "weight"}
    backwards_hours = {"rep_id": "ana", "name": "Ana", "role": "hunter",
                       "working_hours": {"mon": [["17:00", "09:00"]]}}  # fmt: skip
    night = await router.post("/v1/reps", json=backwards_hours)
    assert night.status_code == 422 and "17:00-09:00 does not run forward" in night.text
    await add_rep(router, "ana")
    backwards = {"starts_at": "2026-03-03T12:00:00Z", "ends_at": "2026-03-03T08:00:00Z"}
    refused = await router.post("/v1/reps/ana/absences", json=backwards)
    assert refused.status_code == 422 and "ends_at must be after" in refused.text
    unknown = await router.patch("/v1/reps/nobody", json={"active": False})
    assert unknown.status_code == 404
    bad_rule = {"rules": [{"name": "x", "pool": "p", "when": [{"field": "a", "op": "~"}]}]}
    invalid = await router.post("/v1/routing/policies", json=bad_rule)
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "policy"


async def test_a_lead_goes_by_the_rules_and_its_routing_is_explained(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    await add_rep(router, "ana", pools=["sales"], territories=["DE"])
    await add_rep(router, "ben", pools=["sales"], territories=["FR"])
    await add_rep(router, "cy", pools=["sales"], territories=["FR"], active=False)
    await put_in_force(router, BY_TERRITORY)
    await publish_leads(settings.bus_url, [snapshot("l1", location={"country": "FR"})])
    body = await routed(router, "l1")
    decision = body["decisions"][0]
    assert (decision["rep_id"], decision["rule"], decision["policy_version"]) == (
        "ben", "by country", 1)  # fmt: skip
    candidates = {
        c["rep_id"]: c["excluded"] for c in decision["trace"]["attempts"][0]["candidates"]
    }
    assert candidates == {
        "ana": "not in territories (location.country=FR; rep has [DE])",
        "ben": None,
        "cy": "inactive",
    }
    counters = (await router.get("/v1/pools/sales/counters")).json()
    assert counters["passes"] == decision["counters_after"] and counters["turns"] == 1


async def test_an_unroutable_lead_is_offered_as_soon_as_a_rep_can_take_it(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    await add_rep(router, "ana", pools=["sales"], territories=["DE"], active=False)
    await put_in_force(router, BY_TERRITORY)
    await publish_leads(settings.bus_url, [snapshot("l1", location={"country": "DE"})])
    waiting = await routed(router, "l1", "unroutable")
    assert "no active hunter in pool sales" in waiting["decisions"][0]["explanation"]
    await _waiting_on_metrics(router, 1)
    await router.patch("/v1/reps/ana", json={"active": True})
    body = await routed(router, "l1")
    assert [d["outcome"] for d in body["decisions"]] == ["unroutable", "assigned"]
    assert body["decisions"][1]["rep_id"] == "ana"
    await _waiting_on_metrics(router, 0)


async def _waiting_on_metrics(router: httpx.AsyncClient, count: int) -> None:
    async def probe() -> bool:
        text = (await router.get("/metrics")).text
        return f"conveyor_router_unroutable_waiting {count}.0" in text

    await wait_for(probe, what=f"{count} waiting leads on /metrics")


async def test_a_scheduled_policy_takes_effect_at_its_time_and_rollback_restores_it(
    router: httpx.AsyncClient, settings: Settings, clock: ManualClock
) -> None:
    await add_rep(router, "ana", pools=["a"])
    await add_rep(router, "bo", pools=["b"])
    await put_in_force(router, {"rules": [{"name": "to a", "pool": "a"}]})
    await put_in_force(router, {"rules": [{"name": "to b", "pool": "b"}]},
                       effective_at="2026-03-02T11:00:00Z")  # fmt: skip
    assert (await router.get("/v1/routing/policies")).json()["in_force"] == 1
    second = (await router.get("/v1/routing/policies/2")).json()
    assert second["rules"] == [{"name": "to b", "pool": "b"}] and second["in_force"] is False
    assert [a["effective_at"][:16] for a in second["activations"]] == ["2026-03-02T11:00"]
    assert (await router.get("/v1/routing/policies/9")).status_code == 404
    assert await _route_now(router, settings, "l1") == "ana"
    clock.advance(hours=1)
    assert await _route_now(router, settings, "l2") == "bo"
    rolled = await router.post("/v1/routing/rollback")
    assert rolled.json()["policy_version"] == 1 and rolled.json()["from_version"] == 2
    assert await _route_now(router, settings, "l3") == "ana"


async def _route_now(router: httpx.AsyncClient, settings: Settings, lead_id: str) -> str:
    await publish_leads(settings.bus_url, [snapshot(lead_id)])
    return str((await routed(router, lead_id))["decisions"][0]["rep_id"])


async def test_a_returning_customer_goes_back_to_the_rep_who_won_them(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    await add_rep(router, "ana")
    await add_rep(router, "ben")
    rules = [{"name": "customers", "key_account_owner": True,
              "when": [{"field": "key_account", "op": "exists"}]},
             {"name": "everyone", "pool": "default"}]  # fmt: skip
    await put_in_force(router, {"rules": rules})
    first = snapshot("l1", contact={"email": "cto@initech.com", "company": "Initech"})
    await publish_leads(settings.bus_url, [snapshot("l0"), first])
    won_by = (await routed(router, "l1"))["decisions"][0]
    assert won_by["rep_id"] == "ben"
    path = f"/v1/assignments/{won_by['assignment_id']}/won"
    assert (await router.post(path, json={"amount": "10", "currency": "EUR"})).status_code == 201
    back = snapshot("l2", contact={"email": "cfo@initech.com"})
    await publish_leads(settings.bus_url, [back])
    again = (await routed(router, "l2"))["decisions"][0]
    assert (again["rep_id"], again["rule"]) == ("ben", "customers")
    assert again["trace"]["key_account"]["matched_on"] == "email_domain"
