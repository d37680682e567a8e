"""Sources and their keys: registration, rotation and revocation with a fake unit of work."""

import pytest

from conveyor.events.catalogue.intake import SourceKeyRotated, SourceRegistered, SourceRevoked
from conveyor.intake.domain.source import (
    SourceExists,
    SourceIsRevoked,
    UnknownSource,
    hash_key,
    issue_key,
    key_id_of,
    key_matches,
)
from conveyor.intake.service_layer.commands import RegisterSource, RevokeSource, RotateSourceKey
from conveyor.intake.service_layer.sources import (
    register_source,
    revoke_source,
    rotate_source_key,
    source_stream,
)

from .fakes import FakeUnitOfWork

WEBSITE = RegisterSource("website", "Website", "web_form", rate_limit_per_minute=60)


def test_an_issued_key_carries_its_visible_id_and_is_stored_only_as_a_hash() -> None:
    key = issue_key()
    assert key_id_of(key.key) == key.key_id
    assert key.key_hash == hash_key(key.key) != key.key
    assert key.key not in key.key_hash


def test_a_key_matches_its_own_hash_and_no_other() -> None:
    first, second = issue_key(), issue_key()
    assert key_matches(first.key, first.key_hash)
    assert not key_matches(second.key, first.key_hash)


@pytest.mark.parametrize("text", ["", "Bearer", "cvk_", "cvk_zz_secret", "sk_123456789012_x" * 3])
def test_text_not_shaped_like_a_key_has_no_key_id(text: str) -> None:
    assert key_id_of(text) is None


async def test_registering_records_the_source_with_the_hash_of_the_key_it_returns() -> None:
    uow = FakeUnitOfWork()
    key = await register_source(WEBSITE, uow)
    [registered] = uow.streams[source_stream("website")]
    assert isinstance(registered.data, SourceRegistered)
    assert registered.data.key_hash == hash_key(key.key)
    assert (registered.data.channel, registered.data.rate_limit_per_minute) == ("web_form", 60)
    assert key.key not in registered.data.model_dump_json()


async def test_registering_the_same_source_twice_is_refused() -> None:
    uow = FakeUnitOfWork()
    await register_source(WEBSITE, uow)
    with pytest.raises(SourceExists):
        await register_source(WEBSITE, uow)


async def test_rotating_records_a_new_key_different_from_the_first() -> None:
    uow = FakeUnitOfWork()
    first = await register_source(WEBSITE, uow)
    second = await rotate_source_key(RotateSourceKey("website"), uow)
    rotated = uow.streams[source_stream("website")][-1].data
    assert isinstance(rotated, SourceKeyRotated)
    assert rotated.key_hash == hash_key(second.key) != hash_key(first.key)


async def test_revoking_records_the_reason_and_stops_rotation_and_a_second_revocation() -> None:
    uow = FakeUnitOfWork()
    await register_source(WEBSITE, uow)
    await revoke_source(RevokeSource("website", reason="contract ended"), uow)
    revoked = uow.streams[source_stream("website")][-1].data
    assert isinstance(revoked, SourceRevoked)
    assert revoked.reason == "contract ended"
    with pytest.raises(SourceIsRevoked):
        await rotate_source_key(RotateSourceKey("website"), uow)
    with pytest.raises(SourceIsRevoked):
        await revoke_source(RevokeSource("website"), uow)


async def test_an_unknown_source_cannot_be_rotated_or_revoked() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(UnknownSource):
        await rotate_source_key(RotateSourceKey("nobody"), uow)
    with pytest.raises(UnknownSource):
        await revoke_source(RevokeSource("nobody"), uow)
    assert uow.streams == {}
