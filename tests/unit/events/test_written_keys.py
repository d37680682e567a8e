"""The filter of keys written out: never says a written key was not, rarely says a new key
was, and keeps the tables apart."""

import pytest

from conveyor.events.written_keys import WrittenKeys


def test_every_written_key_may_be_held_and_few_new_keys_are_taken_for_written() -> None:
    keys = WrittenKeys(bits=1 << 20)
    assert not keys and not keys.may_hold("tasks", "t-1")
    for n in range(10_000):
        keys.add("tasks", f"t-{n}")
    assert keys and all(keys.may_hold("tasks", f"t-{n}") for n in range(10_000))
    mistaken = sum(keys.may_hold("tasks", f"new-{n}") for n in range(10_000))
    assert mistaken < 100


def test_a_key_written_to_one_table_is_not_taken_for_written_to_another() -> None:
    keys = WrittenKeys(bits=1 << 20)
    keys.add("tasks", ("r-1", "2026-11"))
    assert keys.may_hold("tasks", ("r-1", "2026-11"))
    assert not keys.may_hold("plans", ("r-1", "2026-11"))


def test_the_size_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        WrittenKeys(bits=1000)
