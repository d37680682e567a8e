"""Keyed messages go where every Kafka client puts them."""

from __future__ import annotations

import os

import pytest
from aiokafka.partitioner import DefaultPartitioner

from conveyor.events.transport.partitioner import murmur2, partition_of


@pytest.mark.parametrize(
    ("key", "expected"),
    [  # the Java client's own test vectors (signed there), as unsigned 32 bits
        (b"21", -973932308 & 0xFFFFFFFF),
        (b"foobar", -790332482 & 0xFFFFFFFF),
        (b"a-little-bit-long-string", -985981536 & 0xFFFFFFFF),
        (b"a-little-bit-longer-string", -1486304829 & 0xFFFFFFFF),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971 & 0xFFFFFFFF),
        (b"abc", 479470107),
    ],
)
def test_murmur2_is_the_java_clients(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_every_key_lands_where_aiokafkas_default_partitioner_puts_it() -> None:
    partitions = list(range(12))
    keys = [os.urandom(size) for size in range(48) for _ in range(50)]
    keys += [f"lead-{n}".encode() for n in range(500)]
    reference = DefaultPartitioner()
    for key in keys:
        assert partition_of(key, partitions, partitions) == reference(key, partitions, partitions)


def test_a_message_without_a_key_goes_to_an_available_partition() -> None:
    chosen = {partition_of(None, [0, 1, 2, 3], [2, 3]) for _ in range(200)}
    assert chosen <= {2, 3}
    assert {partition_of(None, [5, 6], []) for _ in range(200)} <= {5, 6}
