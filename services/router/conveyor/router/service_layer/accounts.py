"""Key-account use cases: register a named account with an owner, change its owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.router import (
    KeyAccountOwnerChanged,
    KeyAccountRegistered,
)
from conveyor.router.service_layer.errors import NotFound
from conveyor.router.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class RegisterKeyAccount:
    """A named account, its owner, and the domains and phones that identify it."""

    account_id: str
    name: str
    owner_rep_id: str
    domains: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeKeyAccountOwner:
    """Give a key account to another rep."""

    account_id: str
    owner_rep_id: str


async def register_key_account(
    cmd: RegisterKeyAccount, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Record KeyAccountRegistered; an account id that exists raises ConcurrencyError."""
    await _owner_exists(uow, cmd.owner_rep_id)
    await _append(uow, cmd.account_id, KeyAccountRegistered(**cmd.__dict__), 0, source, now)


async def change_key_account_owner(
    cmd: ChangeKeyAccountOwner, uow: UnitOfWork, *, source: str, now: datetime
) -> None:
    """Record KeyAccountOwnerChanged for a registered account."""
    version = len(await uow.stream(_stream(cmd.account_id)))
    if not version:
        raise NotFound(f"no key account {cmd.account_id}")
    await _owner_exists(uow, cmd.owner_rep_id)
    event = KeyAccountOwnerChanged(**cmd.__dict__)
    await _append(uow, cmd.account_id, event, version, source, now)


async def _owner_exists(uow: UnitOfWork, rep_id: str) -> None:
    if not await uow.stream(rep_id):
        raise NotFound(f"no rep {rep_id}")


async def _append(
    uow: UnitOfWork,
    account_id: str,
    event: Event,
    version: int,
    source: str,
    now: datetime,
) -> None:
    stream = _stream(account_id)
    envelope = new_envelope(event, subject=stream, source=source, now=now)
    await uow.append(stream, [envelope], expected_version=version)


def _stream(account_id: str) -> str:
    return f"key-account-{account_id}"
