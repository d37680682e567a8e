"""A network backend for httpcore that connects only to addresses checked beforehand.

The sender resolves and checks a host itself, then hands the addresses to this backend: the
connection goes to one of them, never through a second DNS lookup, while the URL (and so the
Host header, TLS SNI and the certificate check) keeps the original host name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import httpcore
from httpcore import AnyIOBackend, AsyncNetworkBackend, AsyncNetworkStream

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class PinnedBackend(AsyncNetworkBackend):
    """Connects ``host:port`` to the checked addresses, in order, and to nothing else."""

    def __init__(self, *, host: str, port: int, addresses: Sequence[str]) -> None:
        self._host, self._port, self._addresses = host, port, tuple(addresses)
        self._network = AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        """Open a TCP connection to the first checked address of host:port that answers."""
        if (host, port) != (self._host, self._port) or not self._addresses:
            raise httpcore.ConnectError(f"no checked address for {host}:{port}")
        failures = []
        for address in self._addresses:
            try:
                return await self._network.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failures.append(f"{address}: {error or type(error).__name__}")
        raise httpcore.ConnectError("; ".join(failures))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        """Refuse: webhooks go over TCP only."""
        raise httpcore.ConnectError("webhooks are not sent over unix sockets")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the underlying network backend does."""
        await self._network.sleep(seconds)
