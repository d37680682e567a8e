"""The scheduler: fires due timers, each by appending its events in the transaction that
ends it, so a timer fires once even across crashes and restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events import Envelope, new_envelope
from conveyor.events.store import ConcurrencyError, EventStore
from conveyor.events.waker import Waker
from conveyor.followup.domain.calendar import FixedHolidays
from conveyor.followup.domain.timers import DORMANCY, TASK_DUE, TASK_OVERDUE, Timer
from conveyor.followup.service_layer.firing import Firing, fire
from conveyor.followup.service_layer.ports import (
    Calendars,
    Clock,
    FarmerLoads,
    Lookups,
    StreamWriter,
    TimerStore,
)

log = logging.getLogger(__name__)


class TimerNotEnded(RuntimeError):
    """The events of a firing did not end their timer (a bug: it would fire forever)."""


class Scheduler:
    """A worker that fires every pending timer whose moment has come."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        store: EventStore,
        writer: StreamWriter,
        timers: TimerStore,
        farmers: FarmerLoads,
        clock: Clock,
        source: str,
        committed: Callable[[], None],
        lookups: Lookups,
        poll_seconds: float = 1.0,
        firing: Firing | None = None,
        calendars: Calendars | None = None,
    ) -> None:
        self.engine, self.store, self.writer, self.timers = engine, store, writer, timers
        self.farmers = farmers
        self.clock, self.source, self.committed = clock, source, committed
        self.lookups, self.poll_seconds, self.firing = lookups, poll_seconds, firing or Firing()
        self.calendars = calendars or FixedHolidays()
        self.waker = Waker()
        self.fired = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Fire due timers until stop is set; woken by commits, else every poll_seconds."""
        while not stop.is_set():
            try:
                await self.fire_due()
            except Exception:
                log.exception("firing timers failed; retrying")
            await self.waker.wait(stop, self.poll_seconds)

    async def fire_due(self, *, limit: int = 100) -> int:
        """Fire the timers due by now; return how many this call fired."""
        async with self.engine.connect() as conn:
            due = await self.timers.due(conn, self.clock.now(), limit=limit)
        fired = [timer for timer in due if await self._fire(timer)]
        if fired:
            self.committed()
        self.fired += len(fired)
        return len(fired)

    async def _fire(self, timer: Timer) -> bool:
        try:
            async with self.engine.begin() as conn:
                # the version before the pending check: a firing committed between the two
                # reads makes this one's append stale (ConcurrencyError), never a second firing
                version = await self.store.stream_version(conn, timer.stream_id)
                if not await self.timers.is_pending(conn, timer.timer_id):
                    return False
                envelopes = self._envelopes(timer, await self._firing_of(conn, timer))
                await self.writer.append(conn, timer.stream_id, envelopes, expected_version=version)
                await self._check_ended(conn, timer)
        except ConcurrencyError:
            log.info("timer %s: its stream moved on; trying again later", timer.timer_id)
            return False
        return True

    async def _firing_of(self, conn: AsyncConnection, timer: Timer) -> Firing:
        """What the timer's firing needs looked up now."""
        if timer.kind in (TASK_DUE, TASK_OVERDUE):
            return await self._task_firing(conn, json.loads(timer.payload["scheduled"]))
        if timer.kind == DORMANCY:
            return await self._dormancy_firing(conn, json.loads(timer.payload["watched"]))
        return self.firing

    async def _task_firing(self, conn: AsyncConnection, scheduled: dict[str, Any]) -> Firing:
        """The task's farmer now, their team lead and the holidays where the account is."""
        task = await self.lookups.task(conn, scheduled["task_id"])
        if task is None:
            return self.firing
        lead = await self.farmers.team_lead_of(conn, task.farmer_id)
        holidays = self.calendars.holidays(task.place)
        return dataclasses.replace(
            self.firing, farmer_id=task.farmer_id, team_lead=lead, holidays=holidays
        )

    async def _dormancy_firing(self, conn: AsyncConnection, watched: dict[str, Any]) -> Firing:
        """The account's farmer if they are at work (else None: the reactivation pool) and
        the holidays where the account is."""
        account = await self.lookups.account(conn, watched["account_id"])
        if account is None:
            return self.firing
        active = await self.farmers.is_available(conn, account.farmer_id)
        farmer_id = account.farmer_id if active else None
        holidays = self.calendars.holidays(account.place)
        return dataclasses.replace(self.firing, farmer_id=farmer_id, holidays=holidays)

    def _envelopes(self, timer: Timer, firing: Firing) -> Sequence[Envelope]:
        now = self.clock.now()
        return [
            dataclasses.replace(
                new_envelope(
                    event,
                    subject=timer.stream_id,
                    source=self.source,
                    correlation_id=timer.correlation_id or None,
                    now=now,
                ),
                causation_id=timer.causation_id,
            )
            for event in fire(timer, firing)
        ]

    async def _check_ended(self, conn: AsyncConnection, timer: Timer) -> None:
        if await self.timers.is_pending(conn, timer.timer_id):
            raise TimerNotEnded(f"firing {timer.timer_id} did not end it")
