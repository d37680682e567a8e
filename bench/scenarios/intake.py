"""Intake under open-loop load: latency at a fixed rate and throughput at saturation, with
durable acknowledgement (202 only after the commit), next to the bare FastAPI baseline.
The latency is recorded after a quarter as long at the same rate, unrecorded, on each (the
first connections, caches and the tables' first statistics are not what it measures)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.load import LoadResult, open_loop
from bench.report import Measurement
from bench.sampling import Profile, sampled
from bench.stack import Stack
from conveyor.devkit.local import free_port
from conveyor.devkit.processes import ServiceProcess

WARMUP_LEADS = 3 * 10**6  # the first lead number of the warm-up (the others start at 0, 1e6, 2e6)


def lead_body(i: int) -> bytes:
    """A distinct, valid lead (distinct so duplicate detection does not merge them)."""
    return json.dumps(
        {
            "contact": {
                "name": f"Bench Lead {i}",
                "email": f"b{i}@example.com",
                "company": f"Company {i % 500}",
            },
            "channel": "web_form",
        }
    ).encode()


async def run_at(url: str, key: str, rate: float, seconds: float, offset: int = 0) -> LoadResult:
    """Post leads to url at rate for seconds; lead numbers start at offset."""
    return await open_loop(
        f"{url}/v1/leads",
        rate=rate,
        duration=seconds,
        body=lambda i: lead_body(offset + i),
        headers={"Authorization": f"Bearer {key}"},
    )


async def measure(
    stack: Stack, workdir: Path, *, quick: bool, profiles: list[Profile]
) -> list[Measurement]:
    """Latency at the target rate and saturated throughput, for intake and the baseline;
    intake is sampled with py-spy while saturated."""
    rate, seconds, flood = (20.0, 2.0, 100.0) if quick else (500.0, 20.0, 2500.0)
    warmup = seconds / 4  # at the rate, not recorded: first connections, caches, statistics
    await run_at(stack.url("intake"), stack.source_key, rate, warmup, WARMUP_LEADS)
    ours = await run_at(stack.url("intake"), stack.source_key, rate, seconds)
    during = f"saturated (offered {flood:.0f} leads/s)"
    with sampled(stack.procs["intake"], seconds / 2, workdir, during=during) as found:
        ours_max = await run_at(stack.url("intake"), stack.source_key, flood, seconds / 2, 10**6)
    profiles.extend(found)
    with _baseline(workdir) as base:
        await run_at(base.url, "", rate, warmup)
        bare = await run_at(base.url, "", rate, seconds)
        bare_max = await run_at(base.url, "", flood, seconds / 2)
    _check(ours, ours_max)
    results = [
        Measurement(
            "intake",
            f"single lead p{p} latency at {rate:.0f}/s",
            ours.percentile_ms(p),
            "ms",
            "bare FastAPI",
            bare.percentile_ms(p),
            "p99 ≤ 25 ms" if p == 99 else None,
            met=ours.percentile_ms(p) <= 25 if p == 99 else None,
        )
        for p in (50, 99, 99.9)
    ]
    results.append(
        Measurement(
            "intake",
            f"single leads/s at saturation (offered {flood:.0f}/s)",
            ours_max.achieved_rate,
            "leads/s",
            "bare FastAPI",
            bare_max.achieved_rate,
            "≥ half of the baseline",
            notes=_statuses(ours_max),
            met=ours_max.achieved_rate >= bare_max.achieved_rate / 2,
        )
    )
    results.append(await _batch(stack, quick=quick))
    return results


async def _batch(stack: Stack, *, quick: bool) -> Measurement:
    rows, rounds = (100, 1) if quick else (1_000, 5)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=300) as client:
        for r in range(rounds):
            body = [json.loads(lead_body(2 * 10**6 + r * rows + i)) for i in range(rows)]
            response = await client.post(
                f"{stack.url('intake')}/v1/leads:batch",
                json=body,
                headers={"Authorization": f"Bearer {stack.source_key}"},
            )
            if response.status_code == 404:
                return Measurement(
                    "intake",
                    f"batch of {rows}",
                    0,
                    "leads/s",
                    notes="POST /v1/leads:batch is not built yet",
                )
            response.raise_for_status()
    return Measurement(
        "intake",
        f"batch of {rows} leads, leads/s",
        rows * rounds / (time.perf_counter() - started),
        "leads/s",
    )


def _check(*results: LoadResult) -> None:
    for result in results:
        if result.completed == 0 or result.statuses.get(202, 0) == 0:
            raise RuntimeError(f"intake accepted nothing: {_statuses(result)}")


def _statuses(result: LoadResult) -> str:
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items()))
    return f"responses {codes}; connection errors {result.errors}"


@contextmanager
def _baseline(workdir: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    proc = ServiceProcess(
        name="baseline",
        module="bench.baseline",
        args=["--port", str(port)],
        port=port,
        env={},
        log_dir=workdir,
    )
    with proc.start():
        yield proc.wait_ready()
