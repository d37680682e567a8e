"""The consumer runner: handlers applied with their effects and the handled event ids in one
transaction, so a redelivered event changes nothing; poison messages are dead-lettered.

A fetched batch is applied in one transaction (one commit for the whole batch; the relay and
the workers are woken after it when its handlers appended events: nothing else gives them
work). If any of its handlers fails, the transaction is rolled back,
the subscription's ``on_rollback`` is called (for in-memory state that folded what the
transaction wrote), and the batch's messages are applied again one by one, each in its own
transaction with retries, so one poison message costs only itself."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from opentelemetry.trace import SpanKind
from sqlalchemy import Insert, MetaData, String, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events import logs, tracing
from conveyor.events.catalogue.topics import dead_letter_topic
from conveyor.events.codec import MalformedMessage, WireMessage, decode, event_type_of
from conveyor.events.metrics import Metrics
from conveyor.events.model import Envelope
from conveyor.events.registry import Registry
from conveyor.events.store.engine import appends_made
from conveyor.events.store.schema import tracking_tables
from conveyor.events.transport.base import (
    InboundMessage,
    MessageSink,
    MessageSource,
    OutboundMessage,
)

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, AsyncConnection], Awaitable[None]]
"""Applies an event through the connection only: its transaction may be rolled back and the
event applied again (a batch that failed is applied again one by one)."""
BatchHandler = Callable[[Sequence[Envelope], AsyncConnection], Awaitable[None]]
"""Applies several events in order in one transaction, as many Handler calls would."""
BatchScope = Callable[[AsyncConnection, Sequence[Envelope]], AbstractAsyncContextManager[object]]
"""Entered around a batch's handlers in its transaction, with the events they are about to
apply, and left (without an error) before the commit."""


class _Duplicate(Exception):
    pass


@dataclass
class ConsumerStats:
    """What a consumer has done since it started."""

    handled: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    last_errors: deque[str] = field(default_factory=lambda: deque(maxlen=50))


class Consumer:
    """Feeds a consumer group's messages to handlers by event type, effectively once;
    ``after_commit`` is called after each commit whose handlers appended events.

    ``linger``: seconds a batch that is not full waits for more messages before it is
    applied (0: applied as fetched). A batch costs a transaction and a statement or more
    per table whatever its size, so a group whose work may lag a moment (the router's KPIs)
    applies fewer, fuller batches; stopping cuts the wait short."""

    def __init__(
        self,
        *,
        group: str,
        source: MessageSource,
        dead_letters: MessageSink,
        engine: AsyncEngine,
        registry: Registry,
        handlers: Mapping[str, Handler],
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        after_commit: Callable[[], None] = lambda: None,
        on_rollback: Callable[[], None] = lambda: None,
        handle_all: BatchHandler | None = None,
        batch_scope: BatchScope | None = None,
        metrics: Metrics | None = None,
        linger: float = 0.0,
    ) -> None:
        self.group, self.source, self.dead_letters = group, source, dead_letters
        self.engine, self.registry, self.handlers = engine, registry, dict(handlers)
        self.max_attempts, self.retry_delay = max_attempts, retry_delay
        self.after_commit, self.on_rollback = after_commit, on_rollback
        self.handle_all, self.batch_scope = handle_all, batch_scope
        self.metrics = metrics
        self.linger = linger
        _, self.handled = tracking_tables(MetaData())
        self.stats = ConsumerStats()

    async def run(self, stop: asyncio.Event, *, batch_size: int = 200) -> None:
        """Fetch, handle and commit until stop is set."""
        rewind = False
        while not stop.is_set():
            try:
                if rewind:
                    await self.source.rewind()
                    rewind = False
                batch = await self._fetch(batch_size, stop)
                await self.process(batch)
            except Exception:
                log.exception(
                    "%s: consuming failed; resuming from the committed offset", self.group
                )
                rewind = True
                await asyncio.sleep(1.0)

    async def _fetch(self, batch_size: int, stop: asyncio.Event) -> list[InboundMessage]:
        """The next batch: what is at hand, and with ``linger`` what comes within it, up to
        batch_size messages."""
        batch = await self.source.fetch(max_messages=batch_size, max_wait=0.2)
        if not batch or self.linger <= 0:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.linger
        while len(batch) < batch_size and not stop.is_set():
            left = deadline - loop.time()
            if left <= 0:
                break
            wait = min(left, 0.2)  # stop is looked at this often
            batch += await self.source.fetch(max_messages=batch_size - len(batch), max_wait=wait)
        return batch

    async def process(self, batch: Sequence[InboundMessage]) -> None:
        """Handle a batch in order, then commit its offsets."""
        work: list[tuple[InboundMessage, Envelope]] = []
        for inbound in batch:
            envelope = await self._decoded(inbound)
            if envelope is not None:
                work.append((inbound, envelope))
        if len(work) < 2 or not await self._apply_batch(work):
            for inbound, envelope in work:
                with self._handling(envelope):
                    await self._apply_with_retries(inbound, envelope)
        await self.source.commit(batch)

    async def _decoded(self, inbound: InboundMessage) -> Envelope | None:
        """The message's envelope if a handler wants it; a malformed one is dead-lettered."""
        event_type = event_type_of(inbound.message)
        if event_type is not None and event_type not in self.handlers:
            self._count("ignored")
            return None
        try:
            return decode(inbound.message, self.registry)
        except MalformedMessage as exc:
            await self._dead_letter(inbound, f"malformed: {exc}")
            return None

    @contextmanager
    def _handling(self, envelope: Envelope) -> Iterator[None]:
        with (
            logs.context(correlation=envelope.correlation_id, about=envelope.subject),
            tracing.span(
                f"{self.group} handles {envelope.type}",
                correlation_id=envelope.correlation_id,
                parent_event_id=envelope.id,
                kind=SpanKind.CONSUMER,
            ) as current,
        ):
            current.set_attribute("conveyor.subject", envelope.subject)
            yield

    async def _apply_batch(self, work: Sequence[tuple[InboundMessage, Envelope]]) -> bool:
        """Apply every message in one transaction; False (nothing applied) if any failed."""
        applied: list[Envelope] = []
        try:
            async with self.engine.connect() as conn:
                transaction = await conn.begin()
                appends = appends_made(conn)
                try:
                    fresh = await mark_all_handled(
                        conn, self.handled, consumer=self.group, event_ids=[e.id for _, e in work]
                    )
                    for _, envelope in work:
                        if envelope.id in fresh:
                            fresh.discard(envelope.id)  # the same event twice in one batch
                            applied.append(envelope)
                    async with self._scope(conn, applied):
                        await self._apply_all(applied, conn)
                    await transaction.commit()
                    appended = appends_made(conn) != appends
                except BaseException:
                    self.on_rollback()
                    await transaction.rollback()
                    raise
        except Exception as exc:
            log.warning(
                "%s: a batch of %d failed (%r); applying its messages one by one",
                self.group,
                len(work),
                exc,
            )
            return False
        for _ in range(len(work) - len(applied)):
            self._count("duplicates")
        for envelope in applied:
            self._count("handled")
            self._observe_age(envelope)
        if appended:
            self.after_commit()
        return True

    def _scope(
        self, conn: AsyncConnection, envelopes: Sequence[Envelope]
    ) -> AbstractAsyncContextManager[object]:
        """What a batch's handlers run inside, in its transaction (left before the commit)."""
        return nullcontext() if self.batch_scope is None else self.batch_scope(conn, envelopes)

    async def _apply_with_retries(self, inbound: InboundMessage, envelope: Envelope) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self._apply(envelope)
                return
            except _Duplicate:
                self._count("duplicates")
                return
            except Exception as exc:
                log.warning("%s: %s failed (attempt %d): %r", self.group, envelope.id, attempt, exc)
                if attempt == self.max_attempts:
                    await self._dead_letter(inbound, f"handler failed: {exc!r}")
                    return
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))

    async def _apply_all(self, envelopes: Sequence[Envelope], conn: AsyncConnection) -> None:
        if self.handle_all is not None:
            await self.handle_all(envelopes, conn)
            return
        for envelope in envelopes:
            with self._handling(envelope):
                await self.handlers[envelope.type](envelope, conn)

    async def _apply(self, envelope: Envelope) -> None:
        async with self.engine.begin() as conn:
            appends = appends_made(conn)
            ids = [envelope.id]
            if not await mark_all_handled(conn, self.handled, consumer=self.group, event_ids=ids):
                raise _Duplicate
            if self.handle_all is not None:
                await self.handle_all([envelope], conn)
            else:
                await self.handlers[envelope.type](envelope, conn)
            appended = appends_made(conn) != appends
        self._count("handled")
        self._observe_age(envelope)
        if appended:
            self.after_commit()

    def _count(self, outcome: str) -> None:
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        if self.metrics is not None:
            label = "duplicate" if outcome == "duplicates" else outcome
            self.metrics.consumer_messages_by(self.metrics.service, self.group, label).inc()

    def _observe_age(self, envelope: Envelope) -> None:
        if self.metrics is not None:
            age = (datetime.now(UTC) - envelope.time).total_seconds()
            self.metrics.event_age_by(self.metrics.service, self.group).observe(max(age, 0))

    async def _dead_letter(self, inbound: InboundMessage, reason: str) -> None:
        self._count("dead_lettered")
        self.stats.last_errors.append(reason)
        log.error(
            "%s: dead-lettering %s[%d]@%d: %s",
            self.group,
            inbound.topic,
            inbound.partition,
            inbound.offset,
            reason,
        )
        original = inbound.message
        extra = (
            ("dlq_error", reason.encode()),
            ("dlq_topic", inbound.topic.encode()),
            ("dlq_partition", str(inbound.partition).encode()),
            ("dlq_offset", str(inbound.offset).encode()),
            ("dlq_consumer", self.group.encode()),
        )
        letter = WireMessage(original.key, original.value, original.headers + extra)
        await self.dead_letters.publish([OutboundMessage(dead_letter_topic(self.group), letter)])


async def mark_all_handled(
    conn: AsyncConnection, table: Table, *, consumer: str, event_ids: Sequence[str]
) -> set[str]:
    """Record the events as handled by the consumer in one statement; the ids it had not
    handled before."""
    ids = list(dict.fromkeys(event_ids))
    if conn.dialect.name == "postgresql":
        params = {"consumer": consumer, "event_ids": ids}
        return set((await conn.execute(_marking(table), params)).scalars())
    rows = [{"consumer": consumer, "event_id": event_id} for event_id in ids]
    statement = sqlite_insert(table).values(rows).on_conflict_do_nothing()
    return set((await conn.execute(statement.returning(table.c.event_id))).scalars())


@functools.lru_cache(maxsize=16)  # a consumer's table, by identity
def _marking(table: Table) -> Insert:
    """PostgreSQL: the ids as one array parameter, so the statement is the same whatever
    their number (compiled once; a VALUES list per count would be compiled each time)."""
    ids = func.unnest(bindparam("event_ids", type_=ARRAY(String)))
    chosen = select(bindparam("consumer", type_=String), ids)
    statement: Insert = (
        pg_insert(table)
        .from_select(["consumer", "event_id"], chosen)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return statement
