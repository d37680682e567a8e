"""A tiny DNS responder on a loopback address, standing in for Docker's embedded DNS: it
answers A queries from a table the test changes, as `docker compose --scale` would."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Names:
    """The A records served: a name's current addresses."""

    def __init__(self) -> None:
        self.table: dict[str, list[str]] = {}

    def answer(self, query: bytes) -> bytes:
        """The response to one query: its header and question, then the name's A records."""
        name, end = _question(query)
        addresses = self.table.get(name, []) if query[end : end + 2] == b"\x00\x01" else []
        header = query[:2] + struct.pack(">HHHHH", 0x8180, 1, len(addresses), 0, 0)
        records = b"".join(
            struct.pack(">HHHIH", 0xC00C, 1, 1, 1, 4) + socket.inet_aton(a) for a in addresses
        )
        return header + query[12 : end + 4] + records


def _question(query: bytes) -> tuple[str, int]:
    labels, at = [], 12
    while query[at]:
        labels.append(query[at + 1 : at + 1 + query[at]].decode())
        at += 1 + query[at]
    return ".".join(labels), at + 1


@contextmanager
def serving(names: Names, address: str) -> Iterator[None]:
    """Answer DNS queries on address:53 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    sock.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                query, peer = sock.recvfrom(512)
            except TimeoutError:
                continue
            sock.sendto(names.answer(query), peer)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        sock.close()
