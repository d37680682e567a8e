"""Which partition a keyed message goes to: Kafka's own rule (murmur2 of the key, as the
Java client and aiokafka's default partitioner compute it), so every client puts a key in
the same partition, computed a word at a time rather than a byte at a time, and remembered
for recent keys (a lead's events share its key, and come together)."""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from functools import lru_cache

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


@lru_cache(maxsize=8192)
def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of ``data`` (unsigned 32 bits, as aiokafka's ``murmur2`` gives it)."""
    length = len(data)
    whole = length & ~3
    h = _SEED ^ length
    for k in struct.unpack(f"<{whole // 4}I", data[:whole]):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    extra = length - whole
    if extra:
        if extra == 3:
            h ^= data[whole + 2] << 16
        if extra >= 2:
            h ^= data[whole + 1] << 8
        h = ((h ^ data[whole]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def partition_of(key: bytes | None, partitions: Sequence[int], available: Sequence[int]) -> int:
    """The partition for ``key`` among ``partitions`` (sorted by id); a message without a
    key goes to any available one. aiokafka's partitioner interface."""
    if key is None:
        return random.choice(available or partitions)
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
