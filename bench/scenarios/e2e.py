"""End to end: from intake's 202 to the rep-app stub receiving the webhook, at fixed rates,
next to a bare produce-consume round trip on the same Kafka; then the peak (a burst of 5x
the rate) and the services' peak memory."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from hdrh.histogram import HdrHistogram

from bench.load import open_loop
from bench.report import Measurement
from bench.scenarios.intake import lead_body
from bench.stack import Stack, peak_rss_mib

DRAIN_SECONDS = 600.0


async def leads_through(
    stack: Stack, rate: float, seconds: float, offset: int
) -> tuple[HdrHistogram, float, int, int]:
    """Post at rate; return the 202-to-webhook latency histogram (µs), the time from the
    last 202 until the last webhook, and the accepted and delivered counts."""
    accepted: dict[str, float] = {}

    def on_response(_: int, status: int, body: bytes, at: float) -> None:
        if status == 202:
            accepted[json.loads(body)["lead_id"]] = at

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
    drained = max(arrived.values(), default=last_accept) - last_accept
    return histogram, drained, len(accepted), len(arrived)


async def _arrivals(stack: Stack, leads: set[str]) -> dict[str, float]:
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        got = await asyncio.to_thread(stack.received)
        arrived = {
            r["payload"]["lead_id"]: r["received_at"]
            for r in got
            if r["payload"]["lead_id"] in leads
        }
        if len(arrived) == len(leads) or time.monotonic() > deadline:
            return arrived
        await asyncio.sleep(0.5)


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


async def measure(stack: Stack, *, quick: bool) -> list[Measurement]:
    """Latency at each rate, the peak burst, and peak RSS."""
    rates, seconds = ((10.0,), 2.0) if quick else ((500.0, 1000.0), 20.0)
    results, offset = [], 5 * 10**6
    for rate in rates:
        ours, _, accepted, delivered = await leads_through(stack, rate, seconds, offset)
        offset += 10**6
        bare = await kafka_round_trip(stack.kafka, rate, seconds)
        results += [
            Measurement(
                "end to end",
                f"202 to webhook p{p} at {rate:.0f}/s",
                ours.get_value_at_percentile(p) / 1000,
                "ms",
                "bare Kafka round trip",
                bare.get_value_at_percentile(p) / 1000,
                "p99 ≤ 250 ms at 500/s" if p == 99 and rate == 500 else None,
                notes=f"{accepted} accepted, {delivered} delivered",
            )
            for p in (50, 99, 99.9)
        ]
    burst = rates[0] * 5
    _, drained, accepted, delivered = await leads_through(stack, burst, seconds, offset)
    results.append(
        Measurement(
            "peak",
            f"burst of {burst:.0f}/s for {seconds:.0f} s: backlog gone after",
            drained,
            "s",
            notes=f"{accepted} accepted, {delivered} delivered, {accepted - delivered} lost",
        )
    )
    results += [
        Measurement(
            "memory", f"{name} peak RSS", peak_rss_mib(stack.procs[name]), "MiB", target="< 300 MB"
        )
        for name in ("intake", "router")
    ]
    return results
