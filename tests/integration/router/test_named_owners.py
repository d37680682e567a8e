"""Rules that target one person over HTTP: a named rep, a key account's owner (registered
and handed to a new owner through /v1/key-accounts), and a returning customer whose owner
is away — on SQLite and the embedded bus."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor.router.config import Settings

from .harness import ManualClock, publish_leads, routed, router_app, snapshot, utc
from .test_routing_api import add_rep, put_in_force
from .test_waiting_leads import make_settings

KEY_ACCOUNTS_FIRST = [
    {"name": "key accounts", "key_account_owner": True,
     "when": [{"field": "key_account", "op": "exists"}]},
    {"name": "everyone", "pool": "default"},
]  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def router(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with router_app(settings, ManualClock(utc("2026-03-02T10:00:00"))) as (client, _):
        yield client


async def route(router: httpx.AsyncClient, settings: Settings, lead_id: str,
                **sections: Any) -> dict[str, Any]:  # fmt: skip
    await publish_leads(settings.bus_url, [snapshot(lead_id, **sections)])
    return dict((await routed(router, lead_id))["decisions"][-1])


async def test_a_rule_naming_a_rep_sends_its_leads_to_that_rep_and_explains_when_not(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    await add_rep(router, "ana")
    await add_rep(router, "kim", pools=["enterprise"])
    rules = [{"name": "vip", "rep": "kim", "when": [{"field": "custom.tier", "op": "equals",
                                                    "value": "vip"}]},
             {"name": "everyone", "pool": "default"}]  # fmt: skip
    await put_in_force(router, {"rules": rules})
    vip = await route(router, settings, "l1", custom={"tier": "vip"})
    assert (vip["rep_id"], vip["rule"], vip["pool"]) == ("kim", "vip", "direct")
    assert vip["trace"]["attempts"][0]["target"] == "rep kim"
    plain = await route(router, settings, "l2", custom={"tier": "smb"})
    assert (plain["rep_id"], plain["rule"]) == ("ana", "everyone")
    off = await router.post("/v1/reps/kim/availability", json={"available": False})
    assert off.status_code == 200
    away = await route(router, settings, "l3", custom={"tier": "vip"})
    assert (away["rep_id"], away["rule"]) == ("ana", "everyone")
    tried = away["trace"]["rules"][0]
    assert (tried["matched"], tried["outcome"]) == (True, "no eligible hunter in rep kim")
    assert away["trace"]["attempts"][0]["candidates"] == [
        {"rep_id": "kim", "excluded": "unavailable", "counter": None, "open_leads": 1}
    ]


async def test_a_key_account_registered_and_handed_over_through_the_api_routes_to_its_owner(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    for rep_id in ("ana", "ben", "cy"):
        await add_rep(router, rep_id)
    await put_in_force(router, {"rules": KEY_ACCOUNTS_FIRST})
    account = {"account_id": "acme", "name": "ACME GmbH", "owner_rep_id": "cy",
               "domains": ["ACME.com"], "phones": ["+49 30 1234567"]}  # fmt: skip
    created = await router.post("/v1/key-accounts", json=account)
    assert created.status_code == 201, created.text
    assert created.json()["domains"] == ["acme.com"]  # domains are kept in lower case
    first = await route(router, settings, "l1", contact={"email": "buyer@acme.com"})
    assert (first["rep_id"], first["rule"]) == ("cy", "key accounts")
    assert first["trace"]["key_account"]["matched_on"] == "email_domain"
    handed = await router.put("/v1/key-accounts/acme/owner", json={"owner_rep_id": "ben"})
    assert handed.json() == {"account_id": "acme", "owner_rep_id": "ben"}
    by_name = await route(router, settings, "l2", contact={"company": "Acme Inc."})
    assert (by_name["rep_id"], by_name["rule"]) == ("ben", "key accounts")
    assert by_name["trace"]["key_account"]["owner"] == "ben"
    assert by_name["trace"]["key_account"]["matched_on"] == "company_name"
    by_phone = await route(router, settings, "l3", contact={"phone": "+49 (30) 123 45 67"})
    assert (by_phone["rep_id"], by_phone["trace"]["key_account"]["matched_on"]) == (
        "ben", "phone")  # fmt: skip


async def test_key_account_requests_naming_unknown_accounts_or_bad_fields_are_refused(
    router: httpx.AsyncClient,
) -> None:
    unknown = await router.put("/v1/key-accounts/nobody/owner", json={"owner_rep_id": "ana"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    bad = {"account_id": "acme", "name": "Acme", "owner_rep_id": "ana", "domains": ["acme"],
           "phones": ["call me"]}  # fmt: skip
    refused = await router.post("/v1/key-accounts", json=bad)
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"domains.0", "phones.0"}


async def test_a_returning_customer_whose_owner_is_away_follows_the_fallback_chain(
    router: httpx.AsyncClient, settings: Settings
) -> None:
    await add_rep(router, "ana")
    await add_rep(router, "ben")
    await add_rep(router, "ovo", pools=["overflow"])
    rules = [{**KEY_ACCOUNTS_FIRST[0], "on_no_candidate": "fallback"}, KEY_ACCOUNTS_FIRST[1]]
    await put_in_force(router, {"rules": rules, "fallback": {"pool": "overflow"}})
    await route(router, settings, "l0")
    won_by = await route(router, settings, "l1", contact={"email": "cto@initech.com"})
    assert won_by["rep_id"] == "ben"
    path = f"/v1/assignments/{won_by['assignment_id']}/won"
    assert (await router.post(path, json={"amount": "10", "currency": "EUR"})).status_code == 201
    absence = {"starts_at": "2026-03-02T09:00:00Z", "ends_at": "2026-03-09T09:00:00Z",
               "reason": "holiday"}  # fmt: skip
    assert (await router.post("/v1/reps/ben/absences", json=absence)).status_code == 201
    back = await route(router, settings, "l2", contact={"email": "cfo@initech.com"})
    assert (back["rep_id"], back["rule"]) == ("ovo", "last resort")
    trace = back["trace"]
    assert trace["fallback"] == "pool of last resort"
    assert trace["key_account"]["owner"] == "ben"
    assert trace["rules"][0]["outcome"] == "no eligible hunter in the key-account owner"
    assert [r["rule"] for r in trace["rules"]] == ["key accounts"]  # "everyone" was skipped
    assert trace["attempts"][0]["candidates"][0]["excluded"] == (
        "absent until 2026-03-09T09:00:00+00:00 (holiday)"
    )
    assert back["explanation"].endswith("(rule last resort via pool of last resort, policy v1)")
