"""A wake-up signal for loops that poll: woken at once by a commit, else by a timeout."""

from __future__ import annotations

import asyncio


class Waker:
    """Lets a writer wake a polling loop without the loop missing a wake-up."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Wake the loop (now, or on its next wait)."""
        self._event.set()

    async def wait(self, stop: asyncio.Event, max_wait: float) -> None:
        """Return when woken, when stop is set, or after max_wait seconds."""
        waiters = {asyncio.ensure_future(self._event.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(
            waiters, timeout=max_wait, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        self._event.clear()
