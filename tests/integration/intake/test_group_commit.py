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

from conveyor.intake.bootstrap import IntakeService
from conveyor.intake.config import Settings
from conveyor.intake.domain.source import key_id_of
from conveyor.intake.entrypoints.api import fingerprint
from conveyor.intake.entrypoints.cleaning import to_command
from conveyor.intake.entrypoints.schemas import LeadIn
from conveyor.intake.service_layer.commands import ReceiveLead
from conveyor.intake.service_layer.handlers import Receipt
from conveyor.intake.service_layer.idempotency import IdempotencyKeyReused

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


async def test_commands_submitted_together_go_in_one_group_each_answered_as_if_alone(
    settings: Settings, database_url: str
) -> None:
    """Without HTTP in between (whose timing decides what overlaps), every command submitted
    before the first is applied is in one group: this is the grouped path for certain."""
    app: FastAPI
    async with running_app(settings) as app, client_for(app) as admin:
        key = await register_source(admin, "website", rate=5)
        service: IntakeService = app.state.service
        source, _ = await service.admit(key)

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
            *(service.limiter.hit(key_id, limit=5, now=later) for _ in range(12))
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
