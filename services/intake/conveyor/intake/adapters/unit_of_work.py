"""The SQL unit of work: one database transaction, appends through the runtime's writer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from conveyor.events import Envelope
from conveyor.events.catalogue.intake import LeadReceived
from conveyor.events.codec import format_time
from conveyor.events.projection import HeldAppends
from conveyor.events.runtime import Runtime
from conveyor.events.store import ANY_VERSION
from conveyor.events.store.engine import lock_log
from conveyor.intake.adapters import lookups, rate_limit
from conveyor.intake.adapters.checklist_cache import ChecklistCache, ChecklistHead
from conveyor.intake.adapters.projections import STATUS, project_all
from conveyor.intake.domain.checklist import Checklist
from conveyor.intake.domain.duplicates import EarlierLead, KnownPeople, PersonKeys, PersonLead
from conveyor.intake.service_layer.checklists import CHECKLIST_STREAM
from conveyor.intake.service_layer.idempotency import ReplyAlreadyStored, StoredReply
from conveyor.intake.service_layer.rate_limits import Admission, Hit
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork

_UNSEEN = ChecklistHead("", 0)


class SqlUnitOfWork(AbstractUnitOfWork):
    """Appends and projections in one transaction; commit wakes the outbox relay.

    Once the log lock is taken (by the duplicate lookup), nothing else can append until
    commit: a new stream's first events then go in without a second lock or a version read,
    and the newest checklist, read with the lookup, is the one in force.
    """

    def __init__(self, runtime: Runtime, checklists: ChecklistCache | None = None) -> None:
        self.runtime = runtime
        self.source = runtime.source
        self.checklists = checklists if checklists is not None else ChecklistCache()
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._log_locked = False
        self._checklist: ChecklistHead | None = _UNSEEN
        self._people: KnownPeople | None = None
        self._held: HeldAppends | None = None

    async def __aenter__(self) -> Self:
        self._conn = await self.runtime.engine.connect()
        self._tx = await self._conn.begin()
        self._log_locked, self._checklist = False, _UNSEEN
        self._people, self._held = None, None
        return self

    async def expect_leads(self, keys: Sequence[PersonKeys]) -> None:
        """Look up every earlier lead of these people in one statement (under the log lock,
        with the newest checklist's id), and hold the events appended from now on to write
        them together (one INSERT, their ``leads`` rows in bulk) before anything reads the
        log or the transaction commits. The leads held count for the duplicate check."""
        conn = self._connection()
        if not self._log_locked:
            await lock_log(conn, appending=True)
            self._log_locked = True
        await self._write_held()
        emails = sorted({k.email for k in keys if k.email})
        phones = sorted({k.phone for k in keys if k.phone})
        found = await conn.execute(
            lookups.PEOPLE[conn.dialect.name], {"emails": emails, "phones": phones}
        )
        leads = []
        self._checklist = None
        for row in found:
            if row.kind == "checklist":
                self._checklist = ChecklistHead(row.id, row.version)
            else:
                leads.append(_person_lead(row))
        self._people = KnownPeople(keys, leads)
        self._held = HeldAppends()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, traceback)
        finally:
            await self._connection().close()

    async def append(
        self, stream_id: str, envelopes: Sequence[Envelope], *, expected_version: int
    ) -> None:
        """Append and update the projections; a new stream's events in a single INSERT.
        Expecting leads, an append to a new stream or at any version is held (see
        ``expect_leads``)."""
        holding = self._held is not None and stream_id != CHECKLIST_STREAM
        if holding and expected_version in (0, ANY_VERSION):
            assert self._held is not None
            self._held.add(stream_id, envelopes, new=expected_version == 0)
            if expected_version == 0:
                self._people_add(envelopes)
            return
        await self._write_held()
        conn = self._connection()
        if expected_version != 0:
            await self.runtime.writer.append(
                conn, stream_id, envelopes, expected_version=expected_version
            )
            return
        store = self.runtime.store
        recorded = await store.append_new(conn, stream_id, envelopes, log_locked=self._log_locked)
        self._log_locked = True
        await project_all(recorded, self.runtime.projections, conn)
        if stream_id == CHECKLIST_STREAM:
            self._checklist = _UNSEEN

    async def read(self, stream_id: str) -> list[Envelope]:
        """Every committed event of a stream, read in this transaction."""
        await self._write_held()
        recorded = await self.runtime.store.read_stream(self._connection(), stream_id)
        return [item.envelope for item in recorded]

    async def newest_checklist(self) -> Checklist | None:
        """The newest checklist: which one, as read with the duplicate lookup (or now); its
        content from the cache of decoded versions (read from the log once per version)."""
        conn = self._connection()
        if self._checklist is _UNSEEN:
            self._checklist = await self.checklists.newest(conn)
        if self._checklist is None:
            return None
        return await self.checklists.get(self._checklist, conn, self.runtime.store)

    async def earlier_lead(self, keys: PersonKeys) -> EarlierLead | None:
        """The newest lead of the person, looked up under the log lock (no racing arrival),
        in the statement that reads the newest checklist's id."""
        if not keys:
            return None
        if self._people is not None and self._people.covers(keys):
            return self._people.newest(keys)
        await self._write_held()
        conn = self._connection()
        if not self._log_locked:  # held until the transaction ends: a batch takes it once
            await lock_log(conn, appending=True)
            self._log_locked = True
        statement, params = lookups.same_person(keys)
        rows = {row.kind: row for row in await conn.execute(statement, params)}
        newest = rows.get("checklist")
        self._checklist = None if newest is None else ChecklistHead(newest.id, newest.version)
        if (row := rows.get("lead")) is None:
            return None
        matched_on = "email" if keys.email and row.email_key == keys.email else "phone"
        received_at = datetime.fromisoformat(row.received_at)
        outcome = "customer" if row.won_at else row.status
        return EarlierLead(row.id, matched_on, received_at, outcome=outcome)

    async def count_requests(self, hits: Sequence[Hit]) -> list[Admission]:
        """Count the requests in this transaction (their windows' rows locked until it
        ends, in key order); its commit waits for the flush as the leads' does."""
        conn = self._connection()
        return await rate_limit.count(
            conn, hits, rate_limit.COUNT_WITH_THE_LEADS[conn.dialect.name]
        )

    async def earlier_reply(self, source_id: str, key: str) -> StoredReply | None:
        """The stored reply under a source's key, if any."""
        params = {"source_id": source_id, "key": key}
        row = (await self._connection().execute(lookups.REPLY, params)).first()
        if row is None:
            return None
        return StoredReply(
            row.source_id, row.idempotency_key, row.fingerprint, row.lead_id, row.duplicate_of
        )

    async def remember_reply(self, reply: StoredReply) -> None:
        """Insert the reply in this transaction; ReplyAlreadyStored if the key is taken."""
        row: dict[str, Any] = {
            "source_id": reply.source_id,
            "idempotency_key": reply.key,
            "fingerprint": reply.fingerprint,
            "lead_id": reply.lead_id,
            "duplicate_of": reply.duplicate_of,
            "created_at": format_time(datetime.now(UTC)),
        }
        conn = self._connection()
        inserted = await conn.execute(lookups.INSERT_REPLY[conn.dialect.name], row)
        if inserted.first() is None:
            raise ReplyAlreadyStored(reply.key)

    async def commit(self) -> None:
        """Commit the transaction (with the events held), then wake the relay."""
        await self._write_held()
        await self._transaction().commit()
        self.runtime.committed()

    async def rollback(self) -> None:
        """Roll back unless already committed or rolled back."""
        self._held = None
        if self._tx is not None and self._tx.is_active:
            await self._tx.rollback()

    def _people_add(self, envelopes: Sequence[Envelope]) -> None:
        """A new lead held: the duplicate check must find it, as it would find its row."""
        received = envelopes[0].data if envelopes else None
        if self._people is None or not isinstance(received, LeadReceived):
            return
        status = next((STATUS[e.type] for e in envelopes[1:] if e.type in STATUS), "received")
        keys = PersonKeys.of(received.lead.contact.email, received.lead.contact.phone)
        self._people.add(
            PersonLead(received.lead_id, keys.email, keys.phone, received.received_at, status)
        )

    async def _write_held(self) -> None:
        """Append the held events in one statement, their projections in bulk."""
        if self._held is None or not self._held.streams:
            return
        streams, new = self._held.take()
        writer, conn = self.runtime.writer, self._connection()
        async with writer.buffered(conn):
            await writer.append_many(conn, streams, new=new, log_locked=self._log_locked)
        self._log_locked = True

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("use the unit of work in an `async with` block")
        return self._conn

    def _transaction(self) -> AsyncTransaction:
        if self._tx is None:
            raise RuntimeError("use the unit of work in an `async with` block")
        return self._tx


def _person_lead(row: Any) -> PersonLead:
    outcome = "customer" if row.won_at else row.status
    received_at = datetime.fromisoformat(row.received_at)
    return PersonLead(row.id, row.email_key, row.phone, received_at, outcome)


class ConsumerUnitOfWork(SqlUnitOfWork):
    """A unit of work inside a consumer's transaction: the consumer commits it, together with
    the mark that the event was handled (and wakes the relay after)."""

    def __init__(self, runtime: Runtime, conn: AsyncConnection) -> None:
        super().__init__(runtime)
        self._conn = conn

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        """Only write what is held: the consumer commits its transaction once the handler
        returns."""
        await self._write_held()

    async def rollback(self) -> None:
        """Nothing: an exception leaves the handler and the consumer rolls back."""
