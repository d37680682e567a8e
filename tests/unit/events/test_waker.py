"""The Waker a worker sleeps on: woken by a commit, by stop, by a timeout, or by a task it
waits beside (which it leaves running when something else wakes it first)."""

import asyncio

from conveyor.events.waker import Waker


async def test_a_task_waited_beside_wakes_it_when_done() -> None:
    waker, stop, done = Waker(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(done.wait())
    woke = asyncio.create_task(waker.wait(stop, 60.0, until=task))
    await asyncio.sleep(0)
    assert not woke.done()
    done.set()
    await asyncio.wait_for(woke, 5.0)
    assert task.done() and not task.cancelled()


async def test_a_wake_leaves_the_task_waited_beside_running() -> None:
    waker, stop, release = Waker(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(release.wait())
    woke = asyncio.create_task(waker.wait(stop, 60.0, until=task))
    await asyncio.sleep(0)
    waker.wake()
    await asyncio.wait_for(woke, 5.0)
    assert not task.done()
    release.set()
    assert await task is True


async def test_a_wake_before_the_wait_is_not_missed() -> None:
    waker, stop = Waker(), asyncio.Event()
    waker.wake()
    await asyncio.wait_for(waker.wait(stop, 60.0), 5.0)
