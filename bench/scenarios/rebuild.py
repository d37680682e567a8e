"""Rebuilding each service's read models from its log: events replayed per second, with the
service's own ``rebuild`` command on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.report import Measurement
from bench.sampling import Profile, sampled_pid
from bench.scenarios.eventstore import COLUMNS, _raw_row
from conveyor.events import Envelope, Event, new_envelope
from conveyor.events.catalogue.followup import (
    AccountHandedOver,
    FarmerEnrolled,
    FollowUpScheduled,
)
from conveyor.events.catalogue.intake import LeadQualified, LeadReceived
from conveyor.events.catalogue.router import LeadAssigned, RepRegistered, WebhookDelivered
from conveyor.events.catalogue.values import Contact, LeadSnapshot

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PEOPLE = 50


def lead(n: int) -> LeadSnapshot:
    """A lead as intake would have accepted it."""
    return LeadSnapshot(
        lead_id=f"lead-{n}",
        source="bench-site",
        channel="web_form",
        contact=Contact(
            name=f"Lead {n}", email=f"lead{n}@example.com", company=f"Company {n % 997}"
        ),
    )


def intake_log(count: int) -> Iterator[tuple[str, list[Event]]]:
    """Two events per lead."""
    for n in range(count // 2):
        snap = lead(n)
        yield (
            snap.lead_id,
            [
                LeadReceived(lead_id=snap.lead_id, lead=snap, received_at=NOW),
                LeadQualified(lead_id=snap.lead_id, lead=snap, score=70, temperature="hot"),
            ],
        )


def router_log(count: int) -> Iterator[tuple[str, list[Event]]]:
    """Hunters, then an offer and its delivery per lead."""
    for r in range(PEOPLE):
        yield f"rep-{r}", [RepRegistered(rep_id=f"rep-{r}", name=f"Rep {r}", role="hunter")]
    for n in range((count - PEOPLE) // 2):
        snap, assignment, rep = lead(n), str(uuid.uuid4()), f"rep-{n % PEOPLE}"
        yield (
            snap.lead_id,
            [
                LeadAssigned(
                    lead_id=snap.lead_id,
                    assignment_id=assignment,
                    rep_id=rep,
                    pool="default",
                    rule="default",
                    policy_version=0,
                    explanation="round robin",
                    rotation=n,
                    lead=snap,
                ),
                WebhookDelivered(
                    lead_id=snap.lead_id,
                    assignment_id=assignment,
                    rep_id=rep,
                    url="https://example.com/hook",
                    status_code=204,
                    attempt=1,
                ),
            ],
        )


def followup_log(count: int) -> Iterator[tuple[str, list[Event]]]:
    """Farmers, then a handover and a first task per account."""
    for f in range(PEOPLE):
        yield f"farmer-{f}", [FarmerEnrolled(farmer_id=f"farmer-{f}", name=f"Farmer {f}")]
    for n in range((count - PEOPLE) // 2):
        account, farmer = f"account-{n}", f"farmer-{n % PEOPLE}"
        yield (
            account,
            [
                AccountHandedOver(
                    account_id=account,
                    lead_id=f"lead-{n}",
                    hunter_id="rep-1",
                    farmer_id=farmer,
                    reason="least loaded",
                ),
                FollowUpScheduled(
                    task_id=str(uuid.uuid4()),
                    account_id=account,
                    farmer_id=farmer,
                    kind="onboarding_call",
                    due_on=date(2026, 11, 4),
                ),
            ],
        )


LOGS: dict[str, Callable[[int], Iterator[tuple[str, list[Event]]]]] = {
    "intake": intake_log,
    "router": router_log,
    "followup": followup_log,
}


def rows(log: Iterator[tuple[str, list[Event]]]) -> Iterator[tuple[object, ...]]:
    """Event-table rows for a generated log."""
    for stream, events in log:
        for version, event in enumerate(events, 1):
            envelope: Envelope = new_envelope(event, subject=stream, source="/bench", now=NOW)
            yield _raw_row(envelope, stream, version)


async def load(url: str, service: str, count: int) -> int:
    """COPY a generated log into a migrated service database; return the event count."""
    conn = await asyncpg.connect(str(make_url(url).set(drivername="postgresql")))
    records = list(rows(LOGS[service](count)))
    await conn.copy_records_to_table("events", records=records, columns=COLUMNS)
    await conn.close()
    return len(records)


def service_command(service: str, url: str, command: str) -> float:
    """Run ``python -m conveyor.<service> <command>``; return its wall time in seconds."""
    started = time.perf_counter()
    _finished(service, command, _started(service, url, command))
    return time.perf_counter() - started


def profiled_rebuild(service: str, url: str, seconds: float, directory: Path) -> Profile:
    """Run the service's rebuild again, sampled with py-spy for up to seconds (the run that
    is measured is not sampled)."""
    rebuilding = _started(service, url, "rebuild")
    name, during = f"{service} rebuild", "a second run of the rebuild, sampled"
    with sampled_pid(rebuilding.pid, name, seconds, directory, during=during) as found:
        _finished(service, "rebuild", rebuilding)
    return found[0]


def _started(service: str, url: str, command: str) -> subprocess.Popen[str]:
    env = {**os.environ, f"CONVEYOR_{service.upper()}_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", f"conveyor.{service}", command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(service: str, command: str, process: subprocess.Popen[str]) -> None:
    _, errors = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"conveyor-{service} {command} failed:\n{errors[-3000:]}")


async def measure(
    new_database: Callable[[str], str],
    workdir: Path,
    *,
    quick: bool,
    profiles: list[Profile],
    events: int = 1_000_000,
) -> list[Measurement]:
    """Events/s of each service's rebuild, net of the command's start-up time; each rebuild
    is then run again under py-spy for the report's profiles."""
    count = 2_000 if quick else events
    results = []
    for service in LOGS:
        url = new_database(f"rebuild_{service}")
        await asyncio.to_thread(service_command, service, url, "migrate")
        startup = await asyncio.to_thread(service_command, service, url, "rebuild")
        events = await load(url, service, count)
        took = await asyncio.to_thread(service_command, service, url, "rebuild")
        elapsed = took - startup
        results.append(
            Measurement(
                "rebuild",
                f"{service} read models from {events:,} events",
                events / max(elapsed, 1e-3),
                "events/s",
                target="≥ 50,000",
                met=events / max(elapsed, 1e-3) >= 50_000,
                notes=f"wall time of `conveyor-{service} rebuild` less its start-up "
                f"({startup:.2f} s on an empty log)",
            )
        )
        seconds = 2 * took + 10  # it stops when the rebuild ends
        profiles.append(await asyncio.to_thread(profiled_rebuild, service, url, seconds, workdir))
    return results
