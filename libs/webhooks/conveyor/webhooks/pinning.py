"""Connections that go only to addresses checked beforehand.

The sender resolves and checks a host itself, then hands the addresses here: the connection
goes to one of them, never through a second DNS lookup, while TLS (SNI and the certificate
check) and the Host header keep the original host name.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence


class ConnectError(OSError):
    """No checked address of the host answered (or none was given)."""


async def open_pinned(
    host: str, port: int, addresses: Sequence[str], *, tls: ssl.SSLContext | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a TCP connection (TLS for ``host`` when ``tls`` is given) to the first of the
    checked addresses that answers. A failed TLS handshake is not a reason to try the next
    address: it raises as it is."""
    if not addresses:
        raise ConnectError(f"no checked address for {host}:{port}")
    failures = []
    for address in addresses:
        try:
            return await asyncio.open_connection(
                address, port, ssl=tls, server_hostname=host if tls is not None else None
            )
        except ssl.SSLError:
            raise
        except OSError as error:
            failures.append(f"{address}: {error.strerror or str(error) or type(error).__name__}")
    raise ConnectError("; ".join(failures))
