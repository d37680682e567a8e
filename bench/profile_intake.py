"""``python -m bench.profile_intake [--leads N] [--concurrency C] [--idempotency] [--kafka]``:
the cost of one lead inside intake, measured in-process.

Starts a throwaway PostgreSQL server and intake's app in this process (httpx's ASGI
transport, no sockets; the bus is the embedded SQLite one, or with ``--kafka`` a Kafka
broker started for the run, as in ``python -m bench``), registers a source, posts N
distinct leads (one after another, or C at a time) and reports, per lead: the process's CPU
time (the outbox relay publishing the leads included), the wall time, and the SQL
statements and transaction commands intake sent on the request path (counted by SQLAlchemy
event listeners; none is counted for autocommit; the relay's are counted apart). A second
pass under cProfile (CPU time) lists where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import ExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from bench.scenarios.intake import lead_body
from conveyor.devkit.kafka import KafkaBroker
from conveyor.devkit.postgres import PostgresServer
from conveyor.intake.adapters.database import upgrade
from conveyor.intake.config import Settings
from conveyor.intake.entrypoints.app import create_app

ADMIN_TOKEN = "profile-admin-token"
in_request: ContextVar[bool] = ContextVar("in_request", default=False)


@dataclass
class Statements:
    """SQL statements sent by intake's engine, on the request path and by everyone else."""

    request: Counter[str]
    background: int = 0

    def count(self, statement: str) -> None:
        """Count one statement under its first words (e.g. ``INSERT INTO events``)."""
        if in_request.get():
            self.request[_verb(statement)] += 1
        else:
            self.background += 1


@dataclass(frozen=True)
class Figures:
    """What one measured pass found."""

    leads: int
    cpu_ms: float
    wall_ms: float
    statements: Statements

    def lines(self) -> list[str]:
        """The figures as report lines, per lead."""
        per_lead = sum(self.statements.request.values()) / self.leads
        lines = [
            f"leads posted:                {self.leads}",
            f"CPU ms per lead (process):   {self.cpu_ms / self.leads:.2f}",
            f"wall ms per lead:            {self.wall_ms / self.leads:.2f}",
            f"SQL statements per lead:     {per_lead:.2f} (request path)",
            f"relay/background statements: {self.statements.background / self.leads:.2f} per lead",
        ]
        for verb, n in self.statements.request.most_common():
            lines.append(f"  {n / self.leads:6.2f}  {verb}")
        return lines


def _verb(statement: str) -> str:
    words = " ".join(statement.split()).split(" ")
    if words[0].upper() in ("INSERT", "DELETE") and len(words) > 2:
        return " ".join(words[:3])
    if words[0].upper() == "UPDATE" and len(words) > 1:
        return " ".join(words[:2])
    if words[0].upper() == "SELECT":
        table = words[words.index("FROM") + 1] if "FROM" in words else " ".join(words[1:3])
        return f"SELECT … {table}"
    return " ".join(words[:3])


def _counter(statements: Statements, name: str) -> Callable[..., None]:
    """Count a transaction's BEGIN, COMMIT or ROLLBACK, unless in autocommit (none is sent)."""

    def count(conn: Any, *_: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            statements.count(name)

    return count


@asynccontextmanager
async def running_intake(database_url: str, bus_url: str) -> AsyncIterator[FastAPI]:
    """Migrate, then run intake's app (lifespan started) around the block."""
    settings = Settings(
        database_url=database_url,
        bus_url=bus_url,
        public_url="http://intake.profile",
        admin_token=ADMIN_TOKEN,
    )
    await asyncio.to_thread(upgrade, settings.database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, credential: str) -> httpx.AsyncClient:
    """A client talking to the app in-process with a bearer credential."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://intake.profile",
        headers={"Authorization": f"Bearer {credential}", "content-type": "application/json"},
    )


async def source_key(app: FastAPI) -> str:
    """Register the source ``profile`` (no practical rate limit); return its API key."""
    body = {"source_id": "profile", "name": "Profile", "channel": "web_form"}
    async with client_for(app, ADMIN_TOKEN) as admin:
        answer = await admin.post("/v1/sources", json={**body, "rate_limit_per_minute": 1_000_000})
    answer.raise_for_status()
    return str(answer.json()["api_key"])


async def post_leads(
    client: httpx.AsyncClient, numbers: range, *, idempotency: bool, concurrency: int = 1
) -> None:
    """Post the numbered leads, ``concurrency`` at a time; every answer must be 202."""
    token = in_request.set(True)
    try:
        await asyncio.gather(
            *(
                _post_each(client, numbers[n::concurrency], idempotency=idempotency)
                for n in range(concurrency)
            )
        )
    finally:
        in_request.reset(token)


async def _post_each(client: httpx.AsyncClient, numbers: range, *, idempotency: bool) -> None:
    for i in numbers:
        headers = {"Idempotency-Key": f"lead-{i}"} if idempotency else {}
        answer = await client.post("/v1/leads", content=lead_body(i), headers=headers)
        if answer.status_code != 202:
            raise RuntimeError(f"lead {i}: {answer.status_code} {answer.text}")


async def measure(
    client: httpx.AsyncClient,
    statements: Statements,
    numbers: range,
    *,
    idempotency: bool,
    concurrency: int,
) -> Figures:
    """Post the leads and return the CPU, wall time and statements they took."""
    statements.request.clear()
    statements.background = 0
    cpu, wall = time.process_time(), time.perf_counter()
    await post_leads(client, numbers, idempotency=idempotency, concurrency=concurrency)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    seen = Statements(Counter(statements.request), statements.background)
    return Figures(len(numbers), cpu * 1000, wall * 1000, seen)


async def profiled(
    client: httpx.AsyncClient, numbers: range, *, idempotency: bool, top: int
) -> str:
    """The cProfile listing (CPU time: by own time, then cumulative) of posting the leads."""
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    await post_leads(client, numbers, idempotency=idempotency)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    ours = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    ours.print_stats(r"/conveyor/(intake|events)/", top)
    return out.getvalue().replace(f"{Path.cwd()}/", "")


async def run(database_url: str, bus_url: str, args: argparse.Namespace) -> list[str]:
    """Warm up, measure, then profile; return the report's lines."""
    async with running_intake(database_url, bus_url) as app:
        statements = Statements(Counter())
        engine: Any = app.state.service.runtime.engine.sync_engine
        event.listen(engine, "before_cursor_execute", lambda *a: statements.count(a[2]))
        for name in ("begin", "commit", "rollback", "savepoint", "release_savepoint"):
            event.listen(engine, name, _counter(statements, name.upper().replace("_", " ")))
        async with client_for(app, await source_key(app)) as client:
            await post_leads(client, range(0, args.warmup), idempotency=args.idempotency)
            numbers = range(args.warmup, args.warmup + args.leads)
            figures = await measure(
                client,
                statements,
                numbers,
                idempotency=args.idempotency,
                concurrency=args.concurrency,
            )
            again = range(numbers.stop, numbers.stop + args.leads)
            listing = await profiled(client, again, idempotency=args.idempotency, top=args.top)
    return [*figures.lines(), "", listing]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile_intake", description=__doc__)
    parser.add_argument("--leads", type=int, default=500, help="leads measured (and profiled)")
    parser.add_argument("--warmup", type=int, default=50, help="leads posted before measuring")
    parser.add_argument("--idempotency", action="store_true", help="send an Idempotency-Key")
    parser.add_argument("--top", type=int, default=30, help="functions listed per ordering")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests in flight while measuring"
    )
    parser.add_argument("--kafka", action="store_true", help="publish to a Kafka broker")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    args = parse(argv)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the group's start-up chatter
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(PostgresServer.start()).create_database("intake_profile")
        bus = f"sqlite+aiosqlite:///{tmp / 'bus.db'}"
        if args.kafka:
            bus = f"kafka://{stack.enter_context(KafkaBroker.start()).bootstrap_servers}"
        print(f"bus: {bus.split(':')[0]}")
        print("\n".join(asyncio.run(run(url, bus, args))))


if __name__ == "__main__":
    main()
