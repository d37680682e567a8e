"""The worker that offers unroutable leads again whenever something may have freed a rep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events.waker import Waker
from conveyor.router.adapters.routing_state import RoutingStateCache
from conveyor.router.adapters.unit_of_work import SqlUnitOfWork
from conveyor.router.service_layer.ports import AccountMatching
from conveyor.router.service_layer.routing import retry_unroutable

log = logging.getLogger(__name__)


class UnroutableRetry:
    """After every commit (a rep back, a cap raised, a lead closed) and every ``interval``
    seconds (working hours begin), offers waiting leads that some rep can now take."""

    def __init__(
        self,
        *,
        cache: RoutingStateCache,
        engine: AsyncEngine,
        unit_of_work: Callable[[], AbstractAsyncContextManager[SqlUnitOfWork]],
        clock: Callable[[], datetime],
        source: str,
        matching: AccountMatching,
        interval: float = 30.0,
    ) -> None:
        self.cache, self.engine = cache, engine
        self.unit_of_work, self.clock = unit_of_work, clock
        self.source, self.matching, self.interval = source, matching, interval
        self.waker = Waker()

    async def run(self, stop: asyncio.Event) -> None:
        """Retry until stop is set."""
        while not stop.is_set():
            try:
                if await self.retry_once():
                    continue
            except Exception:
                log.exception("retrying unroutable leads failed; trying again")
            await self.waker.wait(stop, self.interval)

    async def retry_once(self) -> str | None:
        """Offer one waiting lead if a rep can take it; return its id."""
        if not await self._anyone_waiting():
            return None
        async with self.unit_of_work() as uow:
            return await retry_unroutable(
                uow, source=self.source, now=self.clock(), matching=self.matching
            )

    async def _anyone_waiting(self) -> bool:
        if self.cache.state.unroutable:
            return True
        async with self.engine.connect() as conn:
            return bool((await self.cache.refreshed(conn)).unroutable)
