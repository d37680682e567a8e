"""Sales KPIs checked against a scripted week whose right numbers are known by
construction (tests/integration/router/kpi_history.py), on SQLite and PostgreSQL: the
flow, speed to lead, SLA, deals, conversion, farmers, fairness, ABC, plans; the same
figures after a rebuild from the kept events; and who may read what."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.catalogue import build_registry
from conveyor.events.store import create_engine
from conveyor.router.adapters.kpi_store import rebuild, record
from conveyor.router.adapters.kpi_tables import KPI_TABLES
from conveyor.router.config import Settings
from tests.integration.router.conftest import Router
from tests.integration.router.kpi_history import PERIOD, history
from tests.support import wait_for

ADMIN = {"Authorization": "Bearer admin-secret"}
TEAM = [
    ("ana", "hunter", ["north"], 1),
    ("ben", "hunter", ["north"], 3),
    ("cara", "hunter", ["south"], 1),
    ("nora", "team_lead", ["north"], 1),
    ("fay", "farmer", ["farm"], 1),
]


Department = tuple[httpx.AsyncClient, dict[str, dict[str, str]], AsyncEngine]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def department(
    request: pytest.FixtureRequest, router: Router, settings: Settings, unique_name: str
) -> AsyncIterator[Department]:
    """A router holding the scripted week, with each rep's credentials and its database."""
    overrides: dict[str, Any] = {"admin_token": "admin-secret"}
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        overrides["database_url"] = server.create_database(unique_name)
    engine = create_engine(overrides.get("database_url", settings.database_url))
    async with router(**overrides) as client:
        client.headers.update(ADMIN)
        keys = {}
        for rep_id, role, pools, weight in TEAM:
            body = {
                "rep_id": rep_id,
                "name": rep_id.title(),
                "role": role,
                "pools": pools,
                "weight": weight,
            }
            assert (await client.post("/v1/reps", json=body)).status_code == 201
            key = (await client.post(f"/v1/reps/{rep_id}/keys")).json()["key"]
            keys[rep_id] = {"Authorization": f"Bearer {key}"}
        await wait_for(lambda: _reps_folded(client), what="the reps in the KPI facts")
        async with engine.begin() as conn:
            for envelope in history():
                await record(envelope, conn)
        yield client, keys, engine
    await engine.dispose()


async def _reps_folded(client: httpx.AsyncClient) -> bool:
    rows = (await client.get("/v1/kpis/fairness", params=PERIOD)).json()
    farmers = (await client.get("/v1/kpis/farmers", params=PERIOD)).json()["rows"]
    return rows is not None and [f["farmer_id"] for f in farmers] == ["fay"]


async def get(client: httpx.AsyncClient, path: str, headers: Any = None, **params: str) -> Any:
    response = await client.get(path, params=PERIOD | params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_flow_speed_sla_and_deals_of_the_week(department: Department) -> None:
    client, _, _ = department
    summary = await get(client, "/v1/kpis/summary")
    assert summary["leads"] == {"received": 10, "qualified": 7, "nurtured": 2, "disqualified": 1}
    assert summary["stages"] == {
        "received": 10,
        "offered": 6,
        "accepted": 5,
        "contacted": 4,
        "meeting_set": 0,
        "won": 3,
        "lost": 2,
    }
    assert summary["speed"]["offered"] == {"count": 6, "p50": 60.0, "p90": 60.0, "p99": 60.0}
    assert summary["speed"]["accepted"] == {"count": 5, "p50": 300.0, "p90": 300.0, "p99": 300.0}
    assert summary["speed"]["contacted"]["p50"] == 3600.0
    steps = summary["speed"]["steps"]
    assert steps["offered_to_accepted"] == {"count": 5, "p50": 240.0, "p90": 240.0, "p99": 240.0}
    assert steps["accepted_to_contacted"]["p99"] == 3300.0
    assert summary["sla"] == {
        "offers": 6,
        "settled": 6,
        "accepted_in_time": 5,
        "attainment": 0.8333,
    }
    deals = summary["deals"]
    assert (deals["won"], deals["lost"], deals["win_rate"]) == (3, 2, 0.6)
    assert (deals["volume"], deals["average_deal"], deals["currency"]) == ("4100", "1366.67", "EUR")
    assert summary["stuck"] == 1
    stuck = (await get(client, "/v1/kpis/stuck"))["rows"]
    assert [(row["lead_id"], row["rep_id"]) for row in stuck] == [("L6", "ben")]


async def test_leads_by_source_and_campaign_and_the_verdict_reasons(department: Department) -> None:
    client, _, _ = department
    rows = (await get(client, "/v1/kpis/sources", by="week"))["rows"]
    cut = {(r["source"], r["campaign"]): (r["received"], r["qualified"]) for r in rows}
    assert cut == {("web", "spring"): (3, 3), ("web", ""): (4, 3), ("call-centre", ""): (3, 1)}
    assert {r["period"] for r in rows} == {"2026-W45"}
    verdicts = (await get(client, "/v1/kpis/verdicts"))["rows"]
    found = {(r["verdict"], r["reason"]): (r["count"], r["rate"]) for r in verdicts}
    assert found[("qualified", None)] == (7, 0.7)
    assert found[("nurtured", "budget next year")] == (2, 1.0)
    assert found[("disqualified", "spam")] == (1, 1.0)


async def test_conversion_per_rep_team_and_source(department: Department) -> None:
    client, _, _ = department
    reps = {r["rep_id"]: r for r in (await get(client, "/v1/kpis/reps"))["rows"]}
    assert {k: reps["ana"][k] for k in ("offered", "accepted", "contacted", "won", "lost")} == {
        "offered": 2,
        "accepted": 2,
        "contacted": 2,
        "won": 1,
        "lost": 1,
    }
    assert (reps["ben"]["won"], reps["ben"]["revenue"], reps["ben"]["average_deal"]) == (
        2,
        "3100",
        "1550.00",
    )
    assert (reps["ben"]["offered"], reps["ben"]["accepted"], reps["ben"]["win_rate"]) == (3, 2, 1.0)
    assert reps["cara"]["win_rate"] == 0.0
    teams = {
        r["key"]: r["offered"]
        for r in (await get(client, "/v1/kpis/conversion", by="team"))["rows"]
    }
    assert teams == {"north": 5, "south": 1}
    lines = {
        r["key"]: r["won"]
        for r in (await get(client, "/v1/kpis/conversion", by="product_line"))["rows"]
    }
    assert lines == {"crm": 2, "erp": 1}
    assert (await get(client, "/v1/kpis/loss-reasons"))["rows"] == [{"reason": "price", "count": 2}]


async def test_farmers_fairness_and_the_abc_of_accounts(department: Department) -> None:
    client, _, _ = department
    (fay,) = (await get(client, "/v1/kpis/farmers"))["rows"]
    assert {k: fay[k] for k in ("accounts", "repeat_orders", "repeat_purchase_rate")} == {
        "accounts": 3,
        "repeat_orders": 2,
        "repeat_purchase_rate": 0.6667,
    }
    assert (fay["tasks_due"], fay["tasks_on_time"], fay["reactivated"]) == (3, 1, 1)
    fairness = {
        (r["pool"], r["rep_id"]): r for r in (await get(client, "/v1/kpis/fairness"))["rows"]
    }
    assert (fairness[("north", "ana")]["expected"], fairness[("north", "ana")]["deviation"]) == (
        1.25,
        0.75,
    )
    assert (fairness[("north", "ben")]["expected"], fairness[("north", "ben")]["deviation"]) == (
        3.75,
        -0.75,
    )
    accounts = (await get(client, "/v1/kpis/accounts"))["rows"]
    assert [(a["account_id"], a["revenue"], a["abc"]) for a in accounts] == [
        ("A2", "3200", "A"),
        ("A1", "1500", "A"),
        ("A5", "100", "C"),
    ]
    assert {a["xyz"] for a in accounts} == {"X"}


async def test_a_plan_is_set_by_the_team_lead_and_reconciled_by_week(
    department: Department,
) -> None:
    client, keys, _ = department
    plan = {"metric": "deals", "target": "4"}
    assert (
        await client.put("/v1/plans/ana/2026-11", json=plan, headers=keys["ana"])
    ).status_code == 403
    assert (
        await client.put("/v1/plans/cara/2026-11", json=plan, headers=keys["nora"])
    ).status_code == 403
    bad = await client.put("/v1/plans/ana/2026-13", json={"metric": "calls", "target": -1})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} >= {"month", "metric", "target"}
    first = await client.put("/v1/plans/ana/2026-11", json=plan, headers=keys["nora"])
    assert (first.status_code, first.json()["changed"]) == (200, True)
    again = await client.put("/v1/plans/ana/2026-11", json=plan, headers=keys["nora"])
    assert again.json()["changed"] is False

    async def planned() -> Any:
        rows = (await client.get("/v1/plans", params={"month": "2026-11"})).json()["rows"]
        return rows or None

    (row,) = await wait_for(planned, what="ana's plan in the KPI facts")
    assert (row["rep_id"], row["target"], row["actual"], row["attainment"]) == (
        "ana",
        "4",
        "1",
        0.25,
    )
    assert {w["week"]: w["actual"] for w in row["weeks"]}["2026-W45"] == "1"
    week = (await client.get("/v1/plans/reconciliation", params={"week": "2026-W45"})).json()[
        "rows"
    ]
    assert [(r["week_target"], r["actual"], r["gap"]) for r in week] == [("0.95", "1", "0.05")]


async def test_a_rebuild_from_the_kept_events_gives_the_same_figures(
    department: Department,
) -> None:
    client, _, engine = department
    before = [await get(client, path) for path in _EVERY_FIGURE]
    rows_before = await _rows(engine)
    assert await rebuild(engine, build_registry()) >= len(history())
    assert await _rows(engine) == rows_before
    assert [await get(client, path) for path in _EVERY_FIGURE] == before


async def test_the_command_lines_rebuild_folds_the_kpi_facts_again(
    department: Department, settings: Settings
) -> None:
    _, _, engine = department
    rows_before = await _rows(engine)
    async with engine.begin() as conn:
        for table in KPI_TABLES:
            await conn.execute(delete(table))
    assert not any((await _rows(engine)).values())
    env = os.environ | {
        "CONVEYOR_ROUTER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "CONVEYOR_ROUTER_BUS_URL": settings.bus_url,
    }
    command = [sys.executable, "-m", "conveyor.router", "rebuild"]
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert await _rows(engine) == rows_before


_EVERY_FIGURE = (
    "/v1/kpis/summary",
    "/v1/kpis/sources",
    "/v1/kpis/verdicts",
    "/v1/kpis/reps",
    "/v1/kpis/stuck",
    "/v1/kpis/farmers",
    "/v1/kpis/fairness",
    "/v1/kpis/accounts",
)


async def _rows(engine: Any) -> dict[str, list[Any]]:
    async with engine.connect() as conn:
        return {
            t.name: sorted(map(tuple, (await conn.execute(select(t))).all()), key=repr)
            for t in KPI_TABLES
        }


async def test_a_rep_reads_only_their_own_figures_and_a_team_lead_their_teams(
    department: Department,
) -> None:
    client, keys, _ = department
    mine = (await get(client, "/v1/kpis/reps", keys["ana"]))["rows"]
    assert [r["rep_id"] for r in mine] == ["ana"]
    assert (await get(client, "/v1/kpis/summary", keys["ana"]))["leads"]["received"] == 2
    for params in ({"rep": "ben"}, {"team": "north"}):
        denied = await client.get("/v1/kpis/summary", params=PERIOD | params, headers=keys["ana"])
        assert (
            denied.status_code == 403
            and denied.headers["content-type"] == "application/problem+json"
        )
    team = (await get(client, "/v1/kpis/reps", keys["nora"]))["rows"]
    assert [r["rep_id"] for r in team] == ["ana", "ben"]
    assert (await get(client, "/v1/kpis/summary", keys["nora"]))["leads"]["received"] == 5
    for params in ({"rep": "cara"}, {"team": "south"}):
        denied = await client.get("/v1/kpis/reps", params=PERIOD | params, headers=keys["nora"])
        assert denied.status_code == 403
    assert (await client.get("/v1/leads/L4/story", headers=keys["nora"])).status_code == 403
    assert (await client.get("/v1/leads/L4/story", headers=keys["cara"])).status_code == 200
    assert (
        await client.get("/v1/kpis/summary", headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    me = (await client.get("/v1/me", headers=keys["nora"])).json()
    assert me == {"rep_id": "nora", "name": "Nora", "role": "team_lead", "teams": ["north"]}


async def test_a_leads_story_tells_every_step_in_order(department: Department) -> None:
    client, _, _ = department
    story = (await client.get("/v1/leads/L1/story")).json()["events"]
    assert [e["type"].removeprefix("conveyor.") for e in story] == [
        "lead.received",
        "lead.qualified",
        "lead.assigned",
        "lead.accepted",
        "lead.contacted",
        "deal.won",
        "account.handed_over",
        "followup.scheduled",
        "followup.scheduled",
        "followup.scheduled",
        "followup.completed",
        "account.repeat_order_recorded",
        "followup.overdue",
        "followup.overdue",
        "followup.completed",
    ]
    assert story[2]["summary"] == "offered to ana by rule north: round robin in north"
    assert story[0]["service"] == "/conveyor/intake"
    assert (await client.get("/v1/leads/nobody/story")).status_code == 404


async def test_tables_come_as_csv_too(department: Department) -> None:
    client, _, _ = department
    response = await client.get("/v1/kpis/reps", params=PERIOD | {"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["rep_id"]: r["won"] for r in rows} == {"ana": "1", "ben": "2", "cara": "0"}
    bad = await client.get("/v1/kpis/summary", params={"from": "2026-11-09", "to": "2026-11-02"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
