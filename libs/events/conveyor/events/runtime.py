"""A service's event machinery in one place: store, writer, relay and consumers, started
and stopped together, with a readiness probe over the database and the bus."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conveyor.events import dead_letters
from conveyor.events.catalogue import build_registry
from conveyor.events.catalogue.topics import ALL as ALL_TOPICS
from conveyor.events.catalogue.topics import dead_letter_topic
from conveyor.events.commits import listen, notify_as
from conveyor.events.consumer import BatchHandler, BatchScope, Consumer, Handler
from conveyor.events.leadership import Leadership
from conveyor.events.metrics import Metrics
from conveyor.events.outbox import OutboxRelay
from conveyor.events.projection import EventWriter, Projection
from conveyor.events.registry import Registry
from conveyor.events.store import EventStore
from conveyor.events.transport import MessageSink, Transport
from conveyor.events.waker import Waker

log = logging.getLogger(__name__)
STOP_RESERVE = 2.0  # seconds of ``stop_seconds`` kept for leaving the bus and the database


@dataclass
class Subscription:
    """A consumer group over topics, with a handler per event type; ``handle_all``, if
    given, applies a batch of them at once instead (``handlers`` then only say which types
    the group takes); ``on_rollback`` is called when a batch's transaction is rolled back
    (to forget in-memory state that folded what the transaction wrote); ``batch_scope`` is
    entered around a batch's handlers in its transaction, given the events they will apply,
    and left before the commit (the router's lead group holds its projections' rows and its
    decisions' events in memory there)."""

    group: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]
    on_rollback: Callable[[], None] = lambda: None
    handle_all: BatchHandler | None = None
    batch_scope: BatchScope | None = None
    linger: float = 0.0
    """Seconds a batch that is not full waits for more messages (``Consumer``'s linger)."""


@dataclass
class Runtime:
    """Everything a service needs to write, publish and consume events."""

    name: str
    engine: AsyncEngine
    transport: Transport
    projections: Sequence[Projection] = ()
    stop_seconds: float = 12.0
    """How long ``stop`` may take (the services' HTTP servers drain for 10 s before it, and
    their pods get 25 s)."""
    registry: Registry = field(default_factory=build_registry)
    subscriptions: list[Subscription] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = EventStore(self.registry)
        self.metrics = Metrics(self.name)
        self.leaderships: list[Leadership] = []
        self.writer = EventWriter(self.store, self.projections)
        self.consumers: list[Consumer] = []
        self._sink: MessageSink | None = None
        self._relay: OutboxRelay | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._wakers: list[Waker] = []
        self._closers: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._workers: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = []
        self._mark = notify_as(self.engine) if self.engine.dialect.name == "postgresql" else ""

    @property
    def source(self) -> str:
        """The CloudEvents source of this service's events."""
        return f"/conveyor/{self.name}"

    def subscribe(self, subscription: Subscription) -> None:
        """Add a consumer group; call before start."""
        self.subscriptions.append(subscription)

    def committed(self) -> None:
        """Tell the relay that events were committed, so it publishes them now (and the
        workers, which may have work now); called for this process's commits that appended
        events and, on PostgreSQL, for those of the service's other processes."""
        if self._relay is not None:
            self._relay.wake()
        for waker in self._wakers:
            waker.wake()

    def add_worker(self, work: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> Waker:
        """Run a background loop beside the relay, on one replica at a time (the leader of
        the worker's lock); the Waker returned fires on the service's commits of events."""
        waker = Waker()
        self._wakers.append(waker)
        self._workers.append(work)
        return waker

    def on_stop(self, close: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Close something (an HTTP client, say) when the runtime stops."""
        self._closers.append(close)

    async def start(self) -> None:
        """Connect to the bus and start the relay and the consumers."""
        topics = [t for s in self.subscriptions for t in s.topics]
        dead = [dead_letter_topic(s.group) for s in self.subscriptions]
        await self.transport.ensure_topics(sorted({*topics, *dead, *ALL_TOPICS}))
        self._sink = self.transport.sink()
        await self._sink.start()
        self._relay = OutboxRelay(
            engine=self.engine,
            store=self.store,
            sink=self._sink,
            name=f"{self.name}.outbox",
            idle_wait=0.2,
            metrics=self.metrics,
        )
        self._lead(f"{self.name}.outbox", self._relay.run)
        if self._mark:
            hearing = listen(self.engine, self._mark, self.committed, self._stop)
            self._tasks.append(asyncio.create_task(hearing))
        for subscription in self.subscriptions:
            await self._start_consumer(subscription, self._sink)
        for n, work in enumerate(self._workers, 1):
            label = getattr(work, "__qualname__", "worker")
            self._lead(f"{self.name}.{label}.{n}", work)

    def _lead(self, name: str, work: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
        leadership = Leadership(self.engine, name)
        self.leaderships.append(leadership)
        self._tasks.append(asyncio.create_task(leadership.run(work, self._stop)))

    async def stop(self) -> None:
        """Finish in-flight batches, commit, flush the producer and leave the groups, within
        ``stop_seconds`` in all: what the database or the bus does not let finish by then
        is cancelled (a transaction cut off is rolled back by the server; a message whose
        handling did not commit is fetched again by the group), so a replica cut off from
        them still stops before its orchestrator kills it."""
        self._stop.set()
        deadline = time.monotonic() + self.stop_seconds
        await _settled(self._tasks, deadline - STOP_RESERVE)
        steps = [consumer.source.stop for consumer in self.consumers]
        if self._sink is not None:
            steps.append(self._sink.stop)
        steps += [*self._closers, self.transport.close, self.engine.dispose]
        for step in steps:
            await _within(step(), deadline)

    async def ready(self) -> dict[str, str]:
        """Whether the database and the bus answer, and whether the workers are alive."""
        checks = {
            "database": await _check(self._ping_database()),
            "bus": await _check(self.transport.ping()),
        }
        dead = [t for t in self._tasks if t.done()]
        checks["workers"] = "ok" if self._tasks and not dead else "not running"
        return checks

    async def backlog(self) -> int:
        """Events stored but not yet published."""
        return await self._relay.backlog() if self._relay else 0

    async def refresh_metrics(self) -> None:
        """Bring the gauges (outbox backlog, consumer lag, dead letters) up to date, e.g.
        before a scrape; lag is kept only for the partitions this replica reads now."""
        self.metrics.outbox_backlog.labels(self.name).set(await self.backlog())
        lags = {consumer.group: await consumer.source.lag() for consumer in self.consumers}
        self.metrics.consumer_lag.clear()
        for group, lag in lags.items():
            for (topic, partition), count in lag.items():
                self.metrics.consumer_lag.labels(self.name, group, topic, str(partition)).set(count)
        for consumer in self.consumers:
            await self._count_dead_letters(consumer.group)

    async def _count_dead_letters(self, group: str) -> None:
        try:
            async with asyncio.timeout(5):
                count = await dead_letters.backlog(self.transport, group)
        except Exception as exc:
            log.warning("could not count the dead letters of %s: %r", group, exc)
            return
        self.metrics.dead_letters.labels(self.name, group).set(count)

    async def _start_consumer(self, subscription: Subscription, sink: MessageSink) -> None:
        source = self.transport.source(
            topics=subscription.topics, group=subscription.group, linger=subscription.linger
        )
        await source.start()
        consumer = Consumer(
            group=subscription.group,
            source=source,
            dead_letters=sink,
            engine=self.engine,
            registry=self.registry,
            handlers=subscription.handlers,
            after_commit=self.committed,
            on_rollback=subscription.on_rollback,
            handle_all=subscription.handle_all,
            batch_scope=subscription.batch_scope,
            metrics=self.metrics,
            linger=subscription.linger,
        )
        self.consumers.append(consumer)
        self._tasks.append(asyncio.create_task(consumer.run(self._stop)))

    async def _ping_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


async def _check(probe: Awaitable[None]) -> str:
    try:
        async with asyncio.timeout(3):
            await probe
    except Exception as exc:
        return f"failing: {type(exc).__name__}: {exc}"
    return "ok"


async def _settled(tasks: Sequence[asyncio.Task[None]], deadline: float) -> None:
    """Wait for the tasks until the deadline (time.monotonic), then cancel those still
    running and give them a moment to unwind."""
    if not tasks:
        return
    _, running = await asyncio.wait(tasks, timeout=max(deadline - time.monotonic(), 0.1))
    if running:
        log.warning(
            "%d of the runtime's tasks did not stop in time (the database or the bus not "
            "answering?): cancelling them",
            len(running),
        )
        for task in running:
            task.cancel()
        await asyncio.wait(running, timeout=1.0)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: each logged its own failures


async def _within(step: Coroutine[Any, Any, None], deadline: float) -> None:
    """Run a step of stopping until the deadline (time.monotonic; at least a moment)."""
    try:
        await asyncio.wait_for(step, max(deadline - time.monotonic(), 0.5))
    except TimeoutError:
        log.warning("stopping: a step did not finish in time; going on without it")
    except Exception:
        log.exception("stopping: a step failed; going on")
