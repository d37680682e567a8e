"""One leader at a time among replicas sharing a PostgreSQL database."""

import asyncio
import signal
import sys
from typing import Any

import pytest

from conveyor.events.leadership import Leadership
from conveyor.events.store import create_engine
from tests.support import wait_until

pytestmark = pytest.mark.postgres


async def test_only_one_replica_leads_and_another_takes_over_when_it_stops(
    postgres_server: Any, unique_name: str
) -> None:
    url = postgres_server.create_database(unique_name)
    engines = [create_engine(url) for _ in range(3)]
    replicas = [Leadership(engine, "router.delivery") for engine in engines]
    running: list[int] = []

    def work_of(n: int) -> Any:
        async def work(halt: asyncio.Event) -> None:
            running.append(n)
            await halt.wait()
            running.remove(n)

        return work

    stops = [asyncio.Event() for _ in replicas]
    tasks = [asyncio.create_task(r.run(work_of(n), stops[n])) for n, r in enumerate(replicas)]
    try:
        await wait_until(lambda: len(running) == 1, what="a leader")
        first = running[0]
        await asyncio.sleep(0)  # let the others try the lock too
        assert sum(r.leading for r in replicas) == 1
        stops[first].set()
        await wait_until(
            lambda: len(running) == 1 and running[0] != first, deadline=30, what="another leader"
        )
        assert sum(r.leading for r in replicas) == 1
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*tasks)
        for engine in engines:
            await engine.dispose()


HOLDER = """
import asyncio, sys
from conveyor.events.leadership import Leadership
from conveyor.events.store import create_engine

async def main():
    leadership = Leadership(create_engine(sys.argv[1]), "intake.outbox")
    async def work(halt):
        print("leading", flush=True)
        await halt.wait()
    await leadership.run(work, asyncio.Event())

asyncio.run(main())
"""


async def test_a_replica_whose_process_is_killed_releases_the_lead(
    postgres_server: Any, unique_name: str
) -> None:
    url = postgres_server.create_database(unique_name)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, url, stdout=asyncio.subprocess.PIPE
    )
    assert holder.stdout is not None
    assert await holder.stdout.readline() == b"leading\n"
    survivor, stop = Leadership(create_engine(url), "intake.outbox"), asyncio.Event()
    task = asyncio.create_task(survivor.run(lambda halt: halt.wait(), stop))
    try:
        await asyncio.sleep(0.5)
        assert not survivor.leading, "two leaders at once"
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
        await wait_until(lambda: survivor.leading, deadline=30, what="the survivor to lead")
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        stop.set()
        await task
        await survivor.engine.dispose()
