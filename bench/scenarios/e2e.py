"""End to end: from intake's 202 to the rep-app stub receiving the webhook, at fixed rates,
next to a bare produce-consume round trip on the same Kafka; then the peak (a burst of 5x
the rate) and the services' peak memory."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from hdrh.histogram import HdrHistogram

from bench.load import open_loop
from bench.report import Measurement
from bench.sampling import Profile, sampled
from bench.scenarios.intake import lead_body
from bench.stack import SERVICES, Stack, cpu_seconds, peak_rss_mib

DRAIN_SECONDS = 600.0
STALLED_SECONDS = 120.0
UNDELIVERED = "not delivered when the wait ended (600 s after the last 202, or 120 s without one)"
WARM_UP = (300.0, 20.0)
"""Leads per second and seconds posted before the first measured rate, and not measured: a
fresh stack's first leads pay for Kafka's JIT compiling, the services' first connections
and their caches filling (Kafka alone spent 0.83 ms of CPU per lead in the first measured
window without it)."""


@dataclass
class Flow:
    """Leads posted at a rate and followed to the rep-app stub."""

    latency_us: HdrHistogram
    started: float
    last_accept: float
    last_arrival: float
    accepted: int
    delivered: int

    @property
    def drained(self) -> float:
        """Seconds from the last 202 until the last webhook arrived."""
        return max(self.last_arrival - self.last_accept, 0.0)

    @property
    def delivered_rate(self) -> float:
        """Webhooks delivered per second, from the first post to the last arrival."""
        return self.delivered / max(self.last_arrival - self.started, 1e-3)


async def leads_through(stack: Stack, rate: float, seconds: float, offset: int) -> Flow:
    """Post at rate for seconds and wait for every accepted lead's webhook."""
    accepted: dict[str, float] = {}

    def on_response(_: int, status: int, body: bytes, at: float) -> None:
        if status == 202:
            accepted[json.loads(body)["lead_id"]] = at

    started = time.time()
    await open_loop(
        f"{stack.url('intake')}/v1/leads",
        rate=rate,
        duration=seconds,
        body=lambda i: lead_body(offset + i),
        on_response=on_response,
        headers={"Authorization": f"Bearer {stack.source_key}"},
    )
    last_accept = max(accepted.values(), default=time.time())
    arrived = await _arrivals(stack, set(accepted))
    histogram = HdrHistogram(1, 3_600_000_000, 3)
    for lead_id, at in arrived.items():
        histogram.record_value(max(int((at - accepted[lead_id]) * 1e6), 1))
    last_arrival = max(arrived.values(), default=last_accept)
    return Flow(histogram, started, last_accept, last_arrival, len(accepted), len(arrived))


async def _arrivals(stack: Stack, leads: set[str]) -> dict[str, float]:
    """When each lead's first webhook arrived (reminders may follow); gives up DRAIN_SECONDS
    after the last 202, or once nothing has arrived for STALLED_SECONDS."""
    deadline, seen, progress = time.monotonic() + DRAIN_SECONDS, 0, time.monotonic()
    arrived: dict[str, float] = {}
    while len(arrived) < len(leads) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        got = await asyncio.to_thread(stack.received, seen)
        seen += len(got)
        for item in got:
            if (lead := item["payload"]["lead_id"]) in leads:
                arrived.setdefault(lead, item["received_at"])
        progress = time.monotonic() if got else progress
        if time.monotonic() - progress > STALLED_SECONDS:
            break
    return arrived


async def kafka_round_trip(bootstrap: str, rate: float, seconds: float) -> HdrHistogram:
    """Produce at rate (acks=all) and consume; latency from send to receipt."""
    topic = f"bench.roundtrip.{time.time_ns()}"
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2
    )
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")
    await consumer.start()
    total, histogram = int(rate * seconds), HdrHistogram(1, 3_600_000_000, 3)
    receiving = asyncio.create_task(_receive(consumer, total, histogram.record_value))
    started = time.perf_counter()
    for i in range(total):
        if (delay := started + i / rate - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        await producer.send(topic, str(time.time()).encode())
    await receiving
    await producer.stop()
    await consumer.stop()
    return histogram


async def _receive(consumer: AIOKafkaConsumer, total: int, record: Callable[[int], None]) -> None:
    seen = 0
    async for message in consumer:
        if message.value == b"warm-up":
            continue
        record(max(int((time.time() - float(message.value)) * 1e6), 1))
        seen += 1
        if seen == total:
            return


async def measure(stack: Stack, *, quick: bool, profiles: list[Profile]) -> list[Measurement]:
    """Latency and throughput at each rate, peak RSS at the sustained rates, the peak burst,
    and peak RSS through it."""
    rates, seconds, burst_seconds = ((10.0,), 2.0, 2.0) if quick else ((500.0, 1000.0), 20.0, 60.0)
    warm_rate, warm_seconds = (10.0, 1.0) if quick else WARM_UP
    warm = await leads_through(stack, warm_rate, warm_seconds, 4 * 10**6)
    results, offset, sustained = [_warmed(warm, warm_rate, warm_seconds)], 5 * 10**6, 0.0
    for rate in rates:
        before = cpu_seconds(stack)
        with _sampled(stack, rate, seconds, now=rate == rates[-1]) as found:
            flow = await leads_through(stack, rate, seconds, offset)
        used = {part: spent - before.get(part, 0.0) for part, spent in cpu_seconds(stack).items()}
        profiles.extend(found)
        offset += 10**6
        bare = await kafka_round_trip(stack.kafka, rate, seconds)
        results += _latencies(flow, bare, rate)
        results.append(_throughput(flow, rate))
        results.append(_cpu_per_lead(used, flow, rate))
        sustained = max(sustained, flow.delivered_rate)
    results += [_memory(name, peak_rss_mib(stack.procs[name])) for name in SERVICES]
    burst = 5 * sustained
    flow = await leads_through(stack, burst, burst_seconds, offset)
    results.append(
        Measurement(
            "peak",
            f"burst of {burst:.0f}/s (5x the sustained {sustained:.0f}/s) for "
            f"{burst_seconds:.0f} s: backlog gone after",
            flow.drained,
            "s",
            notes=f"{flow.accepted} accepted, {flow.delivered} delivered, "
            f"{flow.accepted - flow.delivered} {UNDELIVERED}; counted from the last 202",
        )
    )
    results += [_memory(name, peak_rss_mib(stack.procs[name]), burst) for name in SERVICES]
    return results


def _warmed(flow: Flow, rate: float, seconds: float) -> Measurement:
    lost = flow.accepted - flow.delivered
    return Measurement(
        "end to end",
        f"warm-up before the measured rates, leads delivered (offered {rate:.0f}/s for "
        f"{seconds:.0f} s, not measured)",
        flow.delivered,
        "leads",
        notes=f"{flow.accepted} accepted, {flow.delivered} delivered, {lost} {UNDELIVERED}",
    )


def _memory(service: str, rss_mib: float, burst: float | None = None) -> Measurement:
    """Peak RSS so far: at the sustained rates (the target), or also through the burst
    (the high-water mark only rises, so the first reading is the sustained run's peak)."""
    if burst is not None:
        what = f"{service} peak RSS through the burst ({burst:.0f}/s)"
        return Measurement("memory", what, rss_mib, "MiB")
    met = rss_mib * 2**20 < 300 * 10**6
    what = f"{service} peak RSS at the sustained rates"
    return Measurement("memory", what, rss_mib, "MiB", target="< 300 MB", met=met)


def _latencies(flow: Flow, bare: HdrHistogram, rate: float) -> list[Measurement]:
    return [
        Measurement(
            "end to end",
            f"202 to webhook p{p} at {rate:.0f}/s",
            flow.latency_us.get_value_at_percentile(p) / 1000,
            "ms",
            "bare Kafka round trip",
            bare.get_value_at_percentile(p) / 1000,
            "p99 ≤ 250 ms at 500/s" if p == 99 and rate == 500 else None,
            notes=f"{flow.accepted} accepted, {flow.delivered} delivered",
            met=flow.latency_us.get_value_at_percentile(p) <= 250_000
            if p == 99 and rate == 500
            else None,
        )
        for p in (50, 99, 99.9)
    ]


def _cpu_per_lead(used: dict[str, float], flow: Flow, rate: float) -> Measurement:
    """The CPU every part of the machine spent per lead delivered, from the first post to
    the last webhook: what bounds the rate when the cores are shared."""
    shown = {"inbox": "rep-app stub"}
    per_lead = {
        shown.get(part, part): 1000 * spent / max(flow.delivered, 1) for part, spent in used.items()
    }
    split = ", ".join(
        f"{part} {ms:.2f}" for part, ms in sorted(per_lead.items(), key=lambda kv: -kv[1])
    )
    return Measurement(
        "end to end",
        f"CPU per delivered lead at {rate:.0f}/s, all parts",
        sum(per_lead.values()),
        "ms",
        notes=f"{split} (ms, from /proc); {flow.delivered} delivered",
    )


def _throughput(flow: Flow, rate: float) -> Measurement:
    lost = flow.accepted - flow.delivered
    return Measurement(
        "end to end",
        f"leads/s delivered, offered {rate:.0f}/s",
        flow.delivered_rate,
        "leads/s",
        target="≥ 1,000/s, none lost" if rate >= 1000 else None,
        met=flow.delivered_rate >= 1000 and lost == 0 if rate >= 1000 else None,
        notes=f"{flow.accepted} accepted, {flow.delivered} delivered, {lost} {UNDELIVERED}; "
        "first post to last webhook",
    )


@contextmanager
def _sampled(stack: Stack, rate: float, seconds: float, *, now: bool) -> Iterator[list[Profile]]:
    """Sample intake and the router with py-spy while leads flow (when now is true)."""
    collected: list[Profile] = []
    if not now:
        yield collected
        return
    with ExitStack() as samplers:
        found = [
            samplers.enter_context(
                sampled(stack.procs[name], seconds, stack.workdir, during=f"{rate:.0f} leads/s")
            )
            for name in ("intake", "router")
        ]
        yield collected
    collected.extend(p for f in found for p in f)
