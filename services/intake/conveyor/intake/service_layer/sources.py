"""Handlers of the source commands: register, rotate the key, revoke."""

from __future__ import annotations

from conveyor.events import Event, new_envelope
from conveyor.events.catalogue.intake import SourceKeyRotated, SourceRegistered, SourceRevoked
from conveyor.intake.domain.source import (
    IssuedKey,
    Source,
    SourceExists,
    UnknownSource,
    issue_key,
)
from conveyor.intake.service_layer.commands import RegisterSource, RevokeSource, RotateSourceKey
from conveyor.intake.service_layer.unit_of_work import AbstractUnitOfWork


def source_stream(source_id: str) -> str:
    """The stream a source's history is kept in."""
    return f"source:{source_id}"


async def register_source(cmd: RegisterSource, uow: AbstractUnitOfWork) -> IssuedKey:
    """Record a new source with a fresh key; return the key (the only time it is shown)."""
    key = issue_key()
    event = SourceRegistered(
        source_id=cmd.source_id,
        name=cmd.name,
        channel=cmd.channel,
        rate_limit_per_minute=cmd.rate_limit_per_minute,
        key_id=key.key_id,
        key_hash=key.key_hash,
    )
    async with uow:
        if await uow.read(source_stream(cmd.source_id)):
            raise SourceExists(cmd.source_id)
        await _append(uow, cmd.source_id, event, 0)
        await uow.commit()
    return key


async def rotate_source_key(cmd: RotateSourceKey, uow: AbstractUnitOfWork) -> IssuedKey:
    """Give the source a new key and record its hash; return the key."""
    async with uow:
        source, version = await load_source(uow, cmd.source_id)
        key = source.rotate_key()
        event = SourceKeyRotated(source_id=cmd.source_id, key_id=key.key_id, key_hash=key.key_hash)
        await _append(uow, cmd.source_id, event, version)
        await uow.commit()
    return key


async def revoke_source(cmd: RevokeSource, uow: AbstractUnitOfWork) -> None:
    """Record that the source is shut out."""
    async with uow:
        source, version = await load_source(uow, cmd.source_id)
        source.revoke()
        event = SourceRevoked(source_id=cmd.source_id, reason=cmd.reason)
        await _append(uow, cmd.source_id, event, version)
        await uow.commit()


async def load_source(uow: AbstractUnitOfWork, source_id: str) -> tuple[Source, int]:
    """The source as its history leaves it, and the version of that history."""
    history = await uow.read(source_stream(source_id))
    if not history or not isinstance(registered := history[0].data, SourceRegistered):
        raise UnknownSource(source_id)
    revoked = any(isinstance(e.data, SourceRevoked) for e in history)
    return Source(source_id, registered.channel, revoked=revoked), len(history)


async def _append(uow: AbstractUnitOfWork, source_id: str, event: Event, version: int) -> None:
    stream = source_stream(source_id)
    envelope = new_envelope(event, subject=stream, source=uow.source)
    await uow.append(stream, [envelope], expected_version=version)
