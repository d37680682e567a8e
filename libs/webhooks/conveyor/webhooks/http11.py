"""One HTTP/1.1 client connection for webhooks: asyncio streams carry the bytes and h11
keeps the protocol (framing, keep-alive, the response's parsing).

A webhook session sends one request at a time to one endpoint, so it needs neither a pool
nor a second async layer: through httpcore's pool and its AnyIO streams a send cost over
twice the CPU it costs here (bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

import h11

from conveyor.webhooks.pinning import open_pinned

_READ = 65_536
_CLOSING = 1.0  # seconds a polite close may wait for the peer


class Connection:
    """A connection to one endpoint URL's host, opened to a checked address; requests go
    one after another over it while the server keeps it alive."""

    def __init__(self, url: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        parts = urlsplit(url)
        self.authority = parts.netloc
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._reader, self._writer = reader, writer
        self._protocol = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(
        cls,
        url: str,
        host: str,
        port: int,
        addresses: Sequence[str],
        *,
        tls: ssl.SSLContext | None,
    ) -> Connection:
        """Connect to the first checked address of ``host`` that answers (TLS when the URL
        is https)."""
        reader, writer = await open_pinned(
            host, port, addresses, tls=tls if url.startswith("https:") else None
        )
        return cls(url, reader, writer)

    @property
    def reusable(self) -> bool:
        """Whether another request may go over this connection: the last exchange ended
        cleanly and the server has not closed its side meanwhile."""
        p = self._protocol
        return (
            p.our_state is h11.IDLE
            and p.their_state is h11.IDLE
            and not self._reader.at_eof()
            and not self._writer.is_closing()
        )

    async def post(self, headers: Sequence[tuple[str, str]], body: bytes, *, cap: int) -> int:
        """POST ``body`` to the URL's target and return the response's status, reading its
        body up to ``cap`` bytes. A body cut off at the cap leaves the connection unusable
        (close it); so does any error."""
        p = self._protocol
        head = [("host", self.authority), ("content-length", str(len(body))), *headers]
        request = h11.Request(method="POST", target=self.target, headers=head)
        self._writer.write(
            p.send(request) + p.send(h11.Data(data=body)) + p.send(h11.EndOfMessage())
        )
        await self._writer.drain()
        status, read = 0, 0
        while True:
            event = p.next_event()
            if event is h11.NEED_DATA:
                p.receive_data(await self._reader.read(_READ))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                read += len(event.data)
                if read >= cap:
                    return status
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("the server closed the connection without answering")
        if p.our_state is h11.DONE and p.their_state is h11.DONE:
            p.start_next_cycle()  # kept alive: the next request may follow
        return status

    async def aclose(self) -> None:
        """Close the connection: at once when it is not reusable (an exchange cut off, so
        nothing is worth flushing), else politely, waiting a moment at most."""
        if not self.reusable:
            self._writer.transport.abort()
            return
        self._writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(_CLOSING):
                await self._writer.wait_closed()
