"""Leads posted at the same time share transactions (group commit) and each is answered as
if it had come alone: its own lead, duplicates and idempotent retries found within the
group, a reused key refused, the rate limit counted exactly; on SQLite and on PostgreSQL."""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from conveyor.intake.adapters.tables import leads, rate_windows
from conveyor.intake.adapters.unit_of_work import SqlUnitOfWork
from conveyor.intake.bootstrap import IntakeService
from conveyor.intake.config import Settings
from conveyor.intake.domain.source import key_id_of
from conveyor.intake.entrypoints.api import fingerprint
from conveyor.intake.entrypoints.cleaning import to_command
from conveyor.intake.entrypoints.schemas import LeadIn
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import Receipt
from conveyor.intake.service_layer.idempotency import IdempotencyKeyReused
from conveyor.intake.service_layer.rate_limits import Hit
from tests.support import calls_to, statements_sent

from .conftest import (
    ADMIN_TOKEN,
    PUBLIC_URL,
    client_for,
    count_leads,
    lead_body,
    register_source,
    running_app,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, unique_name: str) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    return str(request.getfixturevalue("postgres_server").create_database(unique_name))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        bus_url=f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}",
        public_url=PUBLIC_URL,
        admin_token=ADMIN_TOKEN,
    )


def person(n: int) -> dict[str, Any]:
    contact = {"name": f"Person {n}", "email": f"p{n}@example.com", "company": f"Co {n}"}
    return lead_body(contact=contact)


async def test_leads_posted_together_are_each_answered_as_if_alone(
    settings: Settings, database_url: str
) -> None:
    app: FastAPI
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=10_000)
        async with client_for(app, key) as website:

            async def post(body: dict[str, Any], idempotency: str | None = None) -> httpx.Response:
                headers = {"Idempotency-Key": idempotency} if idempotency else {}
                return await website.post("/v1/leads", json=body, headers=headers)

            posts = [post(person(n)) for n in range(30)]
            posts += [post(person(100)), post(person(100))]  # one person twice
            posts += [post(person(200), "retry-1"), post(person(200), "retry-1")]  # a retry
            posts += [post(person(300), "reused"), post(person(301), "reused")]  # key reused
            responses = await asyncio.gather(*posts)

    assert [r.status_code for r in responses[:34]] == [202] * 34
    distinct = {r.json()["lead_id"] for r in responses[:30]}
    assert len(distinct) == 30
    twice = [r.json() for r in responses[30:32]]
    assert twice[0]["lead_id"] != twice[1]["lead_id"]
    originals = [t["lead_id"] for t in twice if t["duplicate_of"] is None]
    copies = [t["duplicate_of"] for t in twice if t["duplicate_of"] is not None]
    assert len(originals) == 1 and copies == originals
    retried = [r for r in responses[32:34]]
    assert retried[0].json()["lead_id"] == retried[1].json()["lead_id"]
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in retried) == ["", "true"]
    assert sorted(r.status_code for r in responses[34:]) == [202, 409]
    # 30 people, the person posting twice (a lead and its touch), the retried lead once,
    # the first lead under the reused key
    assert await count_leads(database_url) == 34


@pytest.mark.usefixtures("one_rate_window")
async def test_requests_counted_together_keep_the_rate_limit_exact(
    settings: Settings, database_url: str
) -> None:
    app: FastAPI
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=5)
        async with client_for(app, key) as website:
            answers = await asyncio.gather(
                *(website.post("/v1/leads", json=person(n)) for n in range(12))
            )
    assert sorted(a.status_code for a in answers) == [202] * 5 + [429] * 7
    assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in answers if a.status_code == 429)
    assert await count_leads(database_url) == 5


async def window_hits(service: IntakeService) -> int:
    async with service.runtime.engine.connect() as conn:
        return int((await conn.execute(select(func.sum(rate_windows.c.hits)))).scalar() or 0)


@pytest.mark.usefixtures("one_rate_window")
async def test_a_leads_request_is_counted_in_the_leads_transaction(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posting a lead sends no count of its own (the limiter's statement): the request is
    counted in the transaction that records the lead, and undone with it."""
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=3)
        service: IntakeService = app.state.service
        counted_alone = calls_to(monkeypatch, service.limiter, "hit")
        async with client_for(app, key) as website:
            answers = [await website.post("/v1/leads", json=person(n)) for n in range(4)]
        assert [a.status_code for a in answers] == [202, 202, 202, 429]
        assert counted_alone == [] and await window_hits(service) == 4
        source = await service.keyed_source(key)
        async with SqlUnitOfWork(service.runtime) as uow:  # left without a commit
            assert await uow.count_requests([service.hit(source)]) == [30.0]
        assert await window_hits(service) == 4


async def test_commands_submitted_together_go_in_one_group_each_answered_as_if_alone(
    settings: Settings, database_url: str
) -> None:
    """Without HTTP in between (whose timing decides what overlaps), every command submitted
    before the first is applied is in one group: this is the grouped path for certain."""
    app: FastAPI
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=5)
        service: IntakeService = app.state.service
        source = (await service.keyed_source(key)).caller

        def command(n: int, idempotency: str | None = None) -> ReceiveLead:
            body = LeadIn.model_validate(person(n))
            return to_command(body, source, fingerprint(body, idempotency))

        commands = [command(n) for n in range(10)] + [command(100), command(100)]
        commands += [command(200, "retry-1"), command(200, "retry-1")]
        commands += [command(300, "reused"), command(301, "reused")]
        got = await asyncio.gather(
            *(service.receive_lead(c) for c in commands), return_exceptions=True
        )
        assert service.grouped.groups == 1
        # the limiter groups the same way, here in a window no request has reached yet
        key_id, later = key_id_of(key), (time.time() // 60 + 10) * 60 + 1
        assert key_id is not None
        hits = await asyncio.gather(
            *(service.limiter.hit(Hit(key_id, 5, later)) for _ in range(12))
        )
        assert service.limiter.grouped.groups == 1
    receipts = [r for r in got if isinstance(r, Receipt)]
    assert len({r.lead_id for r in receipts[:10]}) == 10
    assert receipts[10].duplicate_of is None and receipts[11].duplicate_of == receipts[10].lead_id
    assert receipts[12].lead_id == receipts[13].lead_id
    assert (receipts[12].replayed, receipts[13].replayed) == (False, True)
    assert isinstance(got[15], IdempotencyKeyReused) and len(receipts) == 15
    assert [h is None for h in hits] == [True] * 5 + [False] * 7  # in the order submitted
    assert set(hits[5:]) == {59.0}  # from 1 s into the window to its end
    assert await count_leads(database_url) == 14  # 10, the person twice, 200 once, 300


def contact(name: str, email: str | None = None, phone: str | None = None) -> dict[str, Any]:
    given = {"name": name, "email": email, "phone": phone, "company": "Co"}
    return lead_body(contact={k: v for k, v in given.items() if v is not None})


BEFORE = [contact("ana 1", "ana@example.com"), contact("ben 1", phone="+44 20 7946 0001")]
TOGETHER = [
    contact("cy 1", "cy@example.com"),
    contact("ana 2", "ANA@example.com"),  # the e-mail address of a lead from before
    contact("dee 1", "dee@example.com", "+44 20 7946 0002"),
    contact("dee 2", "dee@example.com"),  # the same person again, in the same group
    contact("ed 1", "ed@example.com", "+44 20 7946 0001"),  # ben's phone
    contact("fay 1", "fay@example.com", "+44 20 7946 0003"),
    contact("gus 1", "gus@example.com", "+44 20 7946 0003"),  # fay's phone, in the group
    contact("cy 2", "cy@example.com", "+44 20 7946 0002"),  # cy's e-mail, dee's phone
]


async def leads_by_name(service: IntakeService) -> list[dict[str, Any]]:
    """The read model's rows, lead ids replaced by the names they were posted with."""
    async with service.runtime.engine.connect() as conn:
        rows = [dict(r) for r in (await conn.execute(select(leads))).mappings()]
    names = {row["lead_id"]: row["name"] for row in rows}
    kept = ("status", "score", "temperature", "touches", "email_key", "lead_type", "reasons")
    return sorted(
        [
            {
                "name": row["name"],
                **{k: row[k] for k in kept},
                "duplicate_of": names.get(row["duplicate_of"]),
                "previous_lead_id": names.get(row["previous_lead_id"]),
            }
            for row in rows
        ],
        key=lambda row: row["name"],
    )


async def received(settings: Settings, *, together: bool) -> list[dict[str, Any]]:
    """The leads after BEFORE one by one, then TOGETHER as one group or one by one."""
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=1000)
        service: IntakeService = app.state.service
        source = (await service.keyed_source(key)).caller

        def commands(bodies: list[dict[str, Any]]) -> list[ReceiveLead]:
            return [to_command(LeadIn.model_validate(b), source, None) for b in bodies]

        for cmd in commands(BEFORE):
            await service.receive_lead(cmd)
        if together:
            got = await service.receive_leads(commands(TOGETHER))
            assert all(isinstance(r, Receipt) for r in got)
        else:
            for cmd in commands(TOGETHER):
                await service.receive_lead(cmd)
        return await leads_by_name(service)


@pytest.mark.parametrize("window_days", [30, 0])
async def test_a_group_gives_the_leads_touches_and_verdicts_its_leads_alone_give(
    settings: Settings,
    tmp_path: Path,
    unique_name: str,
    request: pytest.FixtureRequest,
    window_days: int,
) -> None:
    """Within the window a person's arrivals after the first are touches; with none, each
    is a new lead naming the one before (those of the group itself included)."""
    if settings.database_url.startswith("sqlite"):
        alone_url = f"sqlite+aiosqlite:///{tmp_path / 'alone.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        alone_url = str(server.create_database(unique_name + "_alone"))
    grouped_settings = settings.model_copy(update={"duplicate_window_days": window_days})
    alone_settings = grouped_settings.model_copy(update={"database_url": alone_url})
    grouped = await received(grouped_settings, together=True)
    alone = await received(alone_settings, together=False)
    assert grouped == alone
    statuses = {row["name"]: row["status"] for row in grouped}
    if window_days:
        touches = {"ana 2", "dee 2", "ed 1", "gus 1", "cy 2"}
        assert {n for n, s in statuses.items() if s == "duplicate"} == touches
    else:
        assert "duplicate" not in statuses.values()
        previous = {row["name"]: row["previous_lead_id"] for row in grouped}
        assert (previous["dee 2"], previous["gus 1"], previous["ana 2"]) == (
            "dee 1",
            "fay 1",
            "ana 1",
        )


async def test_a_group_looks_its_people_up_once_and_appends_in_one_call(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=1000)
        service: IntakeService = app.state.service
        source = (await service.keyed_source(key)).caller
        commands = [to_command(LeadIn.model_validate(b), source, None) for b in BEFORE + TOGETHER]
        await service.receive_lead(commands[0])  # the default checklist is published
        calls = calls_to(monkeypatch, service.runtime.store, "append", "append_new", "append_many")
        with statements_sent(service.runtime.engine) as statements:
            got = await service.receive_leads(commands[1:])
    lookups = [s for s in statements if "duplicate_of IS NULL" in s]  # earlier-lead lookups
    assert all(isinstance(r, Receipt) for r in got)
    assert (calls, len(lookups)) == (["append_many"], 1)
