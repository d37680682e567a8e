"""Ports of followup's service layer; adapters implement them over SQL."""

from __future__ import annotations

import abc
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from conveyor.events import Envelope, Recorded
from conveyor.followup.domain.cadence import AccountPlan, Cadence
from conveyor.followup.domain.calendar import NOWHERE, Place
from conveyor.followup.domain.handover import AccountTraits, FarmerLoad
from conveyor.followup.domain.timers import Timer


@dataclass(frozen=True)
class Placement:
    """An account in a farmer's portfolio and its traits."""

    account_id: str
    client_key: str | None
    traits: AccountTraits


class FarmerLoads(abc.ABC):
    """Reads the enrolled farmers and the size of their portfolios.

    Contract: reads inside the caller's transaction, so a handover appended earlier in
    it already counts; farmers are returned whatever their order, each once.
    """

    @abc.abstractmethod
    async def enrolled(self, conn: AsyncConnection) -> list[FarmerLoad]:
        """Every enrolled farmer with their rules and the number of accounts they hold."""

    @abc.abstractmethod
    async def farmer_of_client(self, conn: AsyncConnection, client_key: str) -> str | None:
        """The farmer holding an account of the same client, if any."""

    @abc.abstractmethod
    async def accounts_of(self, conn: AsyncConnection, farmer_id: str) -> list[Placement]:
        """The accounts the farmer holds, with what the portfolio rules look at."""

    @abc.abstractmethod
    async def team_lead_of(self, conn: AsyncConnection, farmer_id: str) -> str | None:
        """The farmer's team lead, if they have one."""

    @abc.abstractmethod
    async def is_available(self, conn: AsyncConnection, farmer_id: str) -> bool:
        """Whether the farmer is enrolled and at work (neither gone nor on leave)."""


class CadenceBook(abc.ABC):
    """Reads the published cadences.

    Contract: reads inside the caller's transaction; the newest version of each cadence.
    """

    @abc.abstractmethod
    async def published(self, conn: AsyncConnection) -> list[Cadence]:
        """The newest version of every published cadence."""

    @abc.abstractmethod
    async def followers(self, conn: AsyncConnection, cadence_id: str) -> list[AccountPlan]:
        """The accounts following some version of the cadence, with their open tasks."""


class StreamWriter(Protocol):
    """Appends to a stream in the caller's transaction and updates the read models with it.

    Contract: a stream not at expected_version raises ConcurrencyError and writes nothing
    (conveyor.events.projection.EventWriter is the implementation).
    """

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        envelopes: Sequence[Envelope],
        *,
        expected_version: int,
    ) -> Sequence[Recorded]:
        """Append envelopes to a stream that must be at expected_version (0: new)."""
        ...


class Clock(Protocol):
    """Tells the time.

    Contract: returns an aware moment; successive calls never go backwards.
    """

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class Calendars(Protocol):
    """Tells the public holidays of a place.

    Contract: the container answers `in` for any date of any year; a place it does not know
    has no holidays of its own (only those every place has).
    """

    def holidays(self, place: Place) -> Container[date]:
        """The days that are not business days at the place (weekends aside)."""
        ...


class TimerStore(abc.ABC):
    """Reads the timers that followup's log started and has not yet ended.

    Contract: reads inside the caller's transaction; a timer ended by an event appended
    earlier in that transaction is no longer pending.
    """

    @abc.abstractmethod
    async def due(self, conn: AsyncConnection, now: datetime, *, limit: int) -> list[Timer]:
        """Pending timers due at or before now, earliest first."""

    @abc.abstractmethod
    async def is_pending(self, conn: AsyncConnection, timer_id: str) -> bool:
        """Whether the timer exists and has not been ended."""


@dataclass(frozen=True)
class TaskState:
    """Where a task stands: whose it is and whether it is still to do."""

    task_id: str
    account_id: str
    farmer_id: str
    kind: str
    status: str
    time_zone: str = "UTC"
    place: Place = NOWHERE


@dataclass(frozen=True)
class AccountRef:
    """Whose an account is, where it is, and whether it is active or dormant."""

    account_id: str
    farmer_id: str
    time_zone: str
    status: str
    place: Place = NOWHERE


class Lookups(abc.ABC):
    """Reads single rows the commands check: a rep's credential, a task.

    Contract: reads inside the caller's transaction.
    """

    @abc.abstractmethod
    async def credential(self, conn: AsyncConnection, key_id: str) -> tuple[str, str] | None:
        """The (rep id, key hash) of the live credential with that key id."""

    @abc.abstractmethod
    async def task(self, conn: AsyncConnection, task_id: str) -> TaskState | None:
        """The task, if it exists, with its account's time zone."""

    @abc.abstractmethod
    async def account(self, conn: AsyncConnection, account_id: str) -> AccountRef | None:
        """The account, if it was handed over."""

    @abc.abstractmethod
    async def has_order(self, conn: AsyncConnection, account_id: str, order_ref: str) -> bool:
        """Whether the account has an order with that reference already."""

    @abc.abstractmethod
    async def undone_tasks(self, conn: AsyncConnection, account_id: str) -> list[str]:
        """The ids of the account's tasks not done nor cancelled."""


class EndpointSecrets(abc.ABC):
    """The signing secrets of farmers' webhook endpoints.

    Contract: kept in followup's own database, in the caller's transaction, never in the
    log; a new secret retires the endpoint's secrets in force once ``overlap`` has passed
    (by the wall clock, which signatures are checked against).
    """

    @abc.abstractmethod
    async def issue(self, conn: AsyncConnection, farmer_id: str, *, overlap: timedelta) -> str:
        """Keep a new secret for the farmer's endpoint and return it (to be shown once)."""

    @abc.abstractmethod
    async def ensure(self, conn: AsyncConnection, farmer_id: str) -> None:
        """Keep a new secret for the farmer's endpoint unless one is in force already."""
