"""The one place that picks intake's concrete adapters and wires them to the handlers."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from conveyor.events import Envelope
from conveyor.events.catalogue.followup import NurtureRecheckDue
from conveyor.events.catalogue.router import DealWon
from conveyor.events.catalogue.topics import DEALS, FOLLOWUPS
from conveyor.events.consumer import Handler
from conveyor.events.runtime import Runtime, Subscription
from conveyor.events.store import create_engine
from conveyor.events.transport import transport_from_url
from conveyor.intake.adapters import queries
from conveyor.intake.adapters.checklist_cache import ChecklistCache
from conveyor.intake.adapters.projections import LeadStatusProjection
from conveyor.intake.adapters.rate_limit import SqlRateLimiter
from conveyor.intake.adapters.source_projection import SourcesProjection
from conveyor.intake.adapters.unit_of_work import ConsumerUnitOfWork, SqlUnitOfWork
from conveyor.intake.config import Settings
from conveyor.intake.domain.checklist import Checklist
from conveyor.intake.domain.qualification import Verdict
from conveyor.intake.domain.source import IssuedKey, key_id_of
from conveyor.intake.service_layer import handlers, qualifying, sources
from conveyor.intake.service_layer.access import (
    ADMIN,
    Caller,
    KeyedSource,
    KnownKeys,
    NotAuthenticated,
    is_admin_token,
    source_caller,
)
from conveyor.intake.service_layer.commands import (
    ReceiveLead,
    RegisterSource,
    RevokeSource,
    RotateSourceKey,
)
from conveyor.intake.service_layer.conversions import record_conversion
from conveyor.intake.service_layer.grouping import GroupCommit
from conveyor.intake.service_layer.handlers import Receipt, Refusal
from conveyor.intake.service_layer.idempotency import IdempotencyKeyReused
from conveyor.intake.service_layer.qualifying import QualifyByHand
from conveyor.intake.service_layer.rate_limits import Hit, KeyNotCurrent
from conveyor.intake.service_layer.requalifying import requalify

CONSUMER_GROUP = "conveyor.intake"
Received = Receipt | IdempotencyKeyReused | Refusal
"""What a lead's request gets: its receipt, or why it was refused."""


@dataclass(frozen=True)
class IntakeService:
    """Intake wired up: its settings, its event runtime and the handlers bound to them."""

    settings: Settings
    runtime: Runtime
    limiter: SqlRateLimiter
    keys: KnownKeys = field(default_factory=KnownKeys)
    checklists: ChecklistCache = field(default_factory=ChecklistCache)
    grouped: GroupCommit[ReceiveLead, Received] = field(init=False)

    def __post_init__(self) -> None:
        grouped = GroupCommit(self.receive_leads, self._receive_alone)
        object.__setattr__(self, "grouped", grouped)

    async def receive_lead(self, cmd: ReceiveLead) -> Receipt:
        """Handle ReceiveLead; answer once committed. Leads posted at the same time share a
        transaction (group commit): each is recorded as if alone, in arrival order, its
        request counted against the rate limit in that transaction (``cmd.hit``):
        RateLimited or NotAuthenticated, nothing recorded, if it is not admitted."""
        result = await self.grouped.submit(cmd)
        if isinstance(result, Exception):
            raise await self._answer(result)
        return result

    async def _receive_alone(self, cmd: ReceiveLead) -> Received:
        window = timedelta(days=self.settings.duplicate_window_days)
        uow = SqlUnitOfWork(self.runtime, self.checklists)
        return await handlers.receive_alone(cmd, uow, duplicate_window=window)

    async def receive_leads(self, cmds: Sequence[ReceiveLead]) -> list[Received]:
        """Handle leads in one SQL unit of work: a batch's rows, or leads posted at the same
        time (their requests counted with them)."""
        window = timedelta(days=self.settings.duplicate_window_days)
        uow = SqlUnitOfWork(self.runtime, self.checklists)
        return await handlers.receive_leads(cmds, uow, duplicate_window=window)

    async def qualify_by_hand(self, cmd: QualifyByHand) -> Verdict:
        """Record an operator's verdict on a lead."""
        uow = SqlUnitOfWork(self.runtime, self.checklists)
        return await qualifying.qualify_by_hand(cmd, uow, today=datetime.now(UTC).date())

    async def publish_checklist(self, checklist: Mapping[str, Any]) -> int:
        """Publish a new checklist version; return its number."""
        uow = SqlUnitOfWork(self.runtime, self.checklists)
        return await qualifying.publish_checklist(checklist, uow)

    async def current_checklist(self) -> Checklist:
        """The checklist in force (publishing the default as version 1 if none is)."""
        async with SqlUnitOfWork(self.runtime, self.checklists) as uow:
            checklist = await qualifying.current_checklist(uow)
            await uow.commit()
        return checklist

    async def register_source(self, cmd: RegisterSource) -> IssuedKey:
        """Register a source; return its first key."""
        return await sources.register_source(cmd, SqlUnitOfWork(self.runtime, self.checklists))

    async def rotate_source_key(self, cmd: RotateSourceKey) -> IssuedKey:
        """Give a source a new key; return it."""
        return await sources.rotate_source_key(cmd, SqlUnitOfWork(self.runtime, self.checklists))

    async def revoke_source(self, cmd: RevokeSource) -> None:
        """Revoke a source."""
        await sources.revoke_source(cmd, SqlUnitOfWork(self.runtime, self.checklists))

    async def authenticate(self, credential: str) -> Caller:
        """The administrator or the source a credential belongs to; NotAuthenticated else."""
        if is_admin_token(credential, self.settings.admin_token):
            return ADMIN
        key_id = key_id_of(credential)
        if key_id is None:
            raise NotAuthenticated("The API key is not known.")
        return source_caller(credential, await queries.source_by_key_id(self.engine, key_id))

    def is_admin(self, credential: str) -> bool:
        """Whether the credential is the admin token."""
        return is_admin_token(credential, self.settings.admin_token)

    async def keyed_source(self, key: str) -> KeyedSource:
        """The source a key belongs to, its request not counted yet (``admit``, or with the
        lead: ``hit``). NotAuthenticated for a key never issued, rotated away or revoked as
        far as this replica knows (the count checks again); no statement once the key was
        seen."""
        key_id = key_id_of(key)
        if key_id is None:
            raise NotAuthenticated("The API key is not known.")
        caller = self.keys.caller(key, key_id) or await self._look_up(key, key_id)
        return KeyedSource(caller, key_id)

    def hit(self, source: KeyedSource) -> Hit:
        """The source's request, made now, to count against its rate limit."""
        return Hit.of(source.caller, source.key_id, time.time())

    async def admit(self, source: KeyedSource) -> Caller:
        """Count the source's request against its rate limit (one statement): the caller if
        within it, else RateLimited; NotAuthenticated if the key was rotated away or its
        source revoked meanwhile."""
        hit = self.hit(source)
        refused = hit.refusal(await self.limiter.hit(hit))
        if refused is not None:
            raise await self._answer(refused)
        return source.caller

    async def _answer(self, refused: Exception) -> Exception:
        """What a refused request is answered with: a key no longer current (rotated away,
        its source revoked) is forgotten by this replica and answered NotAuthenticated, saying
        which; any other refusal as it is."""
        if not isinstance(refused, KeyNotCurrent):
            return refused
        self.keys.forget(refused.key_id)
        row = await queries.source_by_key_id(self.engine, refused.key_id)
        if row is not None and row["revoked"]:
            return NotAuthenticated("The API key's source has been revoked.")
        return NotAuthenticated("The API key is not known.")

    async def _look_up(self, key: str, key_id: str) -> Caller:
        row = await queries.source_by_key_id(self.engine, key_id)
        caller = source_caller(key, row)
        assert row is not None
        self.keys.remember(key_id, caller, row["key_hash"])
        return caller

    async def lead_status(self, lead_id: str) -> Mapping[str, Any] | None:
        """The lead's read-model row, or None if unknown."""
        return await queries.lead_status(self.engine, lead_id)

    async def sources(self, source_id: str | None = None) -> list[dict[str, Any]]:
        """Registered sources (or one), without their key hashes."""
        return await queries.source_rows(self.engine, source_id)

    def status_url(self, lead_id: str) -> str:
        """Where a caller can follow the lead."""
        return f"{self.settings.public_url}/v1/leads/{lead_id}"

    @property
    def engine(self) -> AsyncEngine:
        """The database engine."""
        return self.runtime.engine


def bootstrap(settings: Settings) -> IntakeService:
    """Build intake on the configured database and bus; nothing connects until started."""
    runtime = Runtime(
        name="intake",
        engine=create_engine(settings.database_url, pool_size=settings.database_pool_size),
        transport=transport_from_url(settings.bus_url),
        projections=[LeadStatusProjection(), SourcesProjection()],
    )
    runtime.subscribe(
        Subscription(
            group=CONSUMER_GROUP,
            topics=[FOLLOWUPS, DEALS],
            handlers={
                NurtureRecheckDue.event_type: _on_recheck_due(runtime),
                DealWon.event_type: _on_deal_won(runtime),
            },
        )
    )
    return IntakeService(settings=settings, runtime=runtime, limiter=SqlRateLimiter(runtime.engine))


def _on_deal_won(runtime: Runtime) -> Handler:
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        won = envelope.data
        assert isinstance(won, DealWon)
        uow = ConsumerUnitOfWork(runtime, conn)
        await record_conversion(won.lead_id, won.won_at, uow, caused_by=envelope)

    return handle


def _on_recheck_due(runtime: Runtime) -> Handler:
    async def handle(envelope: Envelope, conn: AsyncConnection) -> None:
        due = envelope.data
        assert isinstance(due, NurtureRecheckDue)
        await requalify(
            due.lead_id,
            ConsumerUnitOfWork(runtime, conn),
            requested_by="followup: recheck date reached",
            today=datetime.now(UTC).date(),
            caused_by=envelope,
        )

    return handle
