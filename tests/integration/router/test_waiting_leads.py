"""Leads no rep could take, listed for operators through GET /v1/routing/unroutable, and
the "next working window" rule over HTTP: recorded in LeadAssigned and replayed the same,
on SQLite and the embedded bus."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.router.adapters.queries import read_log
from conveyor.router.bootstrap import RouterService
from conveyor.router.config import Settings
from conveyor.router.service_layer.replay import replay_decisions

from .harness import ManualClock, publish_leads, routed, router_app, snapshot, utc
from .test_routing_api import BY_TERRITORY, add_rep, put_in_force

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        webhook_require_https=False,
        webhook_allow_loopback=True,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'router.db'}",
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        retry_interval=0.2,
        **extra,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(utc("2026-03-02T10:00:00"))


@pytest.fixture
async def app(
    settings: Settings, clock: ManualClock
) -> AsyncIterator[tuple[httpx.AsyncClient, RouterService]]:
    async with router_app(settings, clock) as started:
        yield started


async def test_waiting_leads_are_listed_oldest_first_with_why_until_a_rep_takes_them(
    app: tuple[httpx.AsyncClient, RouterService], settings: Settings, clock: ManualClock
) -> None:
    router, _ = app
    await add_rep(router, "ana", pools=["sales"], territories=["DE"], active=False)
    saturdays = {"sat": [["09:00", "17:00"]]}
    await add_rep(router, "ben", pools=["sales"], territories=["DE"],
                  time_zone="Europe/Berlin", working_hours=saturdays)  # fmt: skip
    await put_in_force(router, BY_TERRITORY)
    await publish_leads(settings.bus_url, [snapshot("l1", location={"country": "DE"})])
    await routed(router, "l1", "unroutable")
    clock.advance(minutes=5)
    await publish_leads(settings.bus_url, [snapshot("l2", location={"country": "FR"})])
    await routed(router, "l2", "unroutable")
    listed = (await router.get("/v1/routing/unroutable")).json()
    assert listed["waiting"] == 2
    first, second = listed["leads"]
    assert (first["lead_id"], first["since"]) == ("l1", "2026-03-02T10:00:00Z")
    assert first["reason"] == "no eligible hunter in pool sales"
    assert first["excluded"] == {"inactive": 1, "outside working hours": 1}
    assert first["explanation"] == "unroutable: no eligible hunter in pool sales (policy v1)"
    assert first["trace"]["attempts"][0]["candidates"][1]["excluded"] == (
        "outside working hours (Mon 11:00 Europe/Berlin)"
    )
    assert (second["lead_id"], second["since"]) == ("l2", "2026-03-02T10:05:00Z")
    assert second["excluded"] == {"inactive": 1, "not in territories": 1}
    oldest = (await router.get("/v1/routing/unroutable", params={"limit": 1})).json()
    assert oldest["waiting"] == 2 and [w["lead_id"] for w in oldest["leads"]] == ["l1"]
    await router.patch("/v1/reps/ana", json={"active": True})
    await routed(router, "l1")
    left = (await router.get("/v1/routing/unroutable")).json()
    assert left["waiting"] == 1 and [w["lead_id"] for w in left["leads"]] == ["l2"]


async def test_the_waiting_list_is_for_the_administrator_and_refuses_a_bad_limit(
    tmp_path: Path, clock: ManualClock
) -> None:
    guarded = make_settings(tmp_path, admin_token="admin-secret")
    async with router_app(guarded, clock) as (router, _):
        admin = bearer("admin-secret")
        assert (await router.get("/v1/routing/unroutable")).status_code == 401
        ana = {"rep_id": "ana", "name": "Ana", "role": "hunter"}
        created = await router.post("/v1/reps", headers=admin, json=ana)
        assert created.status_code == 201
        key = (await router.post("/v1/reps/ana/keys", headers=admin)).json()["key"]
        as_rep = await router.get("/v1/routing/unroutable", headers=bearer(key))
        assert as_rep.status_code == 403
        bad = await router.get("/v1/routing/unroutable", params={"limit": 0}, headers=admin)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in bad.json()["errors"]] == ["limit"]
        empty = await router.get("/v1/routing/unroutable", headers=admin)
        assert empty.json() == {"waiting": 0, "leads": []}


async def test_a_next_window_rule_offers_the_lead_to_the_first_rep_back_at_work(
    app: tuple[httpx.AsyncClient, RouterService], settings: Settings, clock: ManualClock
) -> None:
    router, service = app
    clock.now = utc("2026-03-01T23:00:00")  # Sunday night: nobody is at work
    for rep_id, zone in (("ana", "America/New_York"), ("ben", "Europe/Berlin")):
        await add_rep(router, rep_id, time_zone=zone, working_hours=WEEKDAYS_9_TO_5)
    rules = [{"name": "all", "pool": "default", "outside_hours": "next_window"}]
    await put_in_force(router, {"rules": rules})
    await publish_leads(settings.bus_url, [snapshot("l1")])
    decision = (await routed(router, "l1"))["decisions"][0]
    assert decision["rep_id"] == "ben"
    assert decision["explanation"].startswith(
        "next working window: ben starts Mon 09:00 Europe/Berlin"
    )
    assert decision["trace"]["next_window"]["starts_at"] == "2026-03-02T08:00:00+00:00"
    replayed = replay_decisions(await read_log(service.runtime), service.matching)
    assert [(r.lead_id, r.decision.rep_id) for r in replayed] == [("l1", "ben")]
    assert replayed[0].decision.trace() == decision["trace"]
    waiting = (await router.get("/v1/routing/unroutable")).json()
    assert waiting == {"waiting": 0, "leads": []}
