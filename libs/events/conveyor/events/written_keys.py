"""Which keys a ``RowBuffer`` has written out, in a fixed amount of memory however many."""

from __future__ import annotations

from collections.abc import Hashable

BITS = 1 << 28  # 32 MiB, taken when the first key is added


class WrittenKeys:
    """A Bloom filter with two probes: "not written" is certain, "maybe written" is wrong
    for about 0.02% of new keys at two million keys (the buffer then asks the database)."""

    def __init__(self, bits: int = BITS) -> None:
        if bits & (bits - 1):
            raise ValueError("bits must be a power of two")
        self._mask = bits - 1
        self._shift = bits.bit_length() - 1
        self._size = bits // 8
        self._bits = bytearray()

    def add(self, table: str, key: Hashable) -> None:
        """Remember that the row with this key in this table was written out."""
        if not self._bits:
            self._bits = bytearray(self._size)
        bits, digest = self._bits, hash((table, key))
        first, second = digest & self._mask, (digest >> self._shift) & self._mask
        bits[first >> 3] |= 1 << (first & 7)
        bits[second >> 3] |= 1 << (second & 7)

    def may_hold(self, table: str, key: Hashable) -> bool:
        """False when the key was certainly never written out (asked for every row a
        rebuild touches: the two probes are computed inline, the second only if needed)."""
        bits = self._bits
        if not bits:
            return False
        digest = hash((table, key))
        first = digest & self._mask
        if not bits[first >> 3] & (1 << (first & 7)):
            return False
        second = (digest >> self._shift) & self._mask
        return bool(bits[second >> 3] & (1 << (second & 7)))

    def __bool__(self) -> bool:
        return bool(self._bits)
