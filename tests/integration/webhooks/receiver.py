"""A small real HTTP/1.1 server on loopback whose every answer a test chooses."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Received:
    """One request as it arrived: method, target, headers (lower-cased names) and body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Respond = Callable[[Received, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Receiver:
    """What a running receiver got, and the port it listens on."""

    respond: Respond
    port: int = 0
    connections: int = 0
    received: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    _tasks: set[asyncio.Task[object]] = field(default_factory=set)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read requests until the client closes the connection, record each and answer it
        as the test chose."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                request = await _read_request(reader)
                self.received.append(request)
                await self.respond(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client went away or failed the handshake; the test looks at its side
        except asyncio.CancelledError:
            pass  # the receiver is stopping (see stop)
        finally:
            writer.close()
            self._tasks.discard(task)

    async def stop(self) -> None:
        """End answers still in progress (a receiver that never answers) and wait for them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@asynccontextmanager
async def receiving(
    respond: Respond, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[Receiver]:
    """Run a receiver on 127.0.0.1 for the duration of the block."""
    receiver = Receiver(respond)
    if tls is not None:
        tls.sni_callback = lambda _sock, name, _ctx: receiver.server_names.append(name)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=tls)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await receiver.stop()
        await server.wait_closed()


def reply(
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    keep_alive: bool = False,
) -> Respond:
    """Answer every request with this status, body and headers (and close the connection
    unless asked to keep it open)."""
    closing = {} if keep_alive else {"connection": "close"}
    head = {"content-length": str(len(body))} | closing | (headers or {})

    async def respond(_request: Received, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, head) + body)
        await writer.drain()

    return respond


async def never_reply(_request: Received, _writer: asyncio.StreamWriter) -> None:
    """Keep the request open without answering, until the receiver stops."""
    await asyncio.Event().wait()


async def trickle(_request: Received, writer: asyncio.StreamWriter) -> None:
    """Answer 200 at once, then send a long body one byte every 50 ms."""
    writer.write(_head(200, {"content-length": "1000000"}))
    while True:
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.05)


@dataclass
class Flood:
    """Answers 200 with a body of `size` bytes, sent in chunks; counts what it got written."""

    size: int
    written: int = 0
    error: BaseException | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, _request: Received, writer: asyncio.StreamWriter) -> None:
        """Send the head, then the body 64 KiB at a time while the client takes it."""
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        try:
            writer.write(_head(200, {"content-length": str(self.size)}))
            while self.written < self.size:
                writer.write(b"x" * 65536)
                await writer.drain()
                self.written += 65536
        except ConnectionError as error:
            self.error = error
        finally:
            self.finished.set()


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_request(reader: asyncio.StreamReader) -> Received:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *header_lines = head.removesuffix("\r\n\r\n").split("\r\n")
    method, target, _version = request_line.split(" ")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Received(method, target, headers, body)
