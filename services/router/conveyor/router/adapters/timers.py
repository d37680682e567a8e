"""The worker that runs SLA timers: after every commit and every few seconds it takes the
ladder steps that are due, one per transaction, until none is left. Timers are folded from
the log, so a restart picks up where the last process stopped (late steps fire at once)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from conveyor.events.waker import Waker
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.service_layer.ports import AccountMatching
from conveyor.router.service_layer.sla_timers import Timers, take_next_step

log = logging.getLogger(__name__)


class SlaTimers:
    """Takes due SLA ladder steps (one leader per service runs it)."""

    def __init__(
        self,
        *,
        timers: Timers,
        unit_of_work: Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]],
        clock: Callable[[], datetime],
        source: str,
        matching: AccountMatching,
        interval: float = 5.0,
    ) -> None:
        self.timers, self.unit_of_work, self.clock = timers, unit_of_work, clock
        self.source, self.matching, self.interval = source, matching, interval
        self.waker = Waker()

    async def run(self, stop: asyncio.Event) -> None:
        """Take due steps until stop is set."""
        while not stop.is_set():
            try:
                if await self.step_once():
                    continue
            except Exception:
                log.exception("SLA timers failed; trying again")
            await self.waker.wait(stop, self.interval)

    async def step_once(self) -> bool:
        """Take the earliest due step (or raise one stuck-lead alert); True if one was."""
        async with self.unit_of_work() as uow:
            return await take_next_step(
                uow, self.timers, now=self.clock(), source=self.source, matching=self.matching
            )
