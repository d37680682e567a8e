"""Open-loop HTTP load: requests are sent at a constant arrival rate whatever the server
does, and each latency is measured from the request's intended start (so a slow server
cannot hide its queueing, as a closed loop would). A minimal HTTP/1.1 client on raw
asyncio streams keeps the generator's own cost low, and the cyclic garbage collector is
paused while it sends (a full collection of the benchmark's heap took 30 to 40 ms, a pause
that was counted as the server's latency for every request due meanwhile)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hdrh.histogram import HdrHistogram

from conveyor.events.replay import no_collections

Body = Callable[[int], bytes]
OnResponse = Callable[[int, int, bytes, float], None]


@dataclass
class LoadResult:
    """What an open-loop run achieved."""

    offered_rate: float
    duration: float
    completed: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    latency_us: HdrHistogram = field(default_factory=lambda: HdrHistogram(1, 120_000_000, 3))

    @property
    def achieved_rate(self) -> float:
        """Responses per second over the run."""
        return self.completed / self.duration if self.duration else 0.0

    def percentile_ms(self, percentile: float) -> float:
        """A latency percentile in milliseconds."""
        return float(self.latency_us.get_value_at_percentile(percentile)) / 1000


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)


async def open_loop(
    url: str,
    *,
    rate: float,
    duration: float,
    body: Body,
    headers: dict[str, str] | None = None,
    connections: int = 64,
    on_response: OnResponse | None = None,
) -> LoadResult:
    """POST body(i) to url at rate per second for duration seconds."""
    parts = urlsplit(url)
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(_Connection(*await asyncio.open_connection(parts.hostname, parts.port)))
    head = _head(parts.path, parts.netloc, headers or {})
    result, total = LoadResult(rate, duration), int(rate * duration)
    started = time.perf_counter()

    async def send(i: int, intended: float) -> None:
        conn = await pool.get()
        try:
            status, payload = await conn.request(head, body(i))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            result.errors += 1
            conn = _Connection(*await asyncio.open_connection(parts.hostname, parts.port))
        else:
            done = time.perf_counter()
            result.completed += 1
            result.statuses[status] += 1
            result.latency_us.record_value(max(int((done - intended) * 1e6), 1))
            if on_response is not None:
                on_response(i, status, payload, time.time())
        finally:
            pool.put_nowait(conn)

    tasks = []
    with no_collections():
        for i in range(total):
            intended = started + i / rate
            if (delay := intended - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(i, intended)))
        await asyncio.gather(*tasks)
    result.duration = time.perf_counter() - started
    while not pool.empty():
        pool.get_nowait().writer.close()
    return result


def _head(path: str, host: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path or '/'} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\nContent-Length: ").encode()
