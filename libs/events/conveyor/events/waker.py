"""A wake-up signal for loops that poll: woken at once by a commit, else by a timeout."""

from __future__ import annotations

import asyncio
from typing import Any


class Waker:
    """Lets a writer wake a polling loop without the loop missing a wake-up."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Wake the loop (now, or on its next wait)."""
        self._event.set()

    async def wait(
        self, stop: asyncio.Event, max_wait: float, *, until: asyncio.Future[Any] | None = None
    ) -> None:
        """Return when woken, when stop is set, when ``until`` is done (it is left running
        otherwise), or after max_wait seconds."""
        waiters = {asyncio.ensure_future(self._event.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(
            waiters | ({until} if until is not None else set()),
            timeout=max_wait,
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in pending & waiters:
            task.cancel()
        self._event.clear()
