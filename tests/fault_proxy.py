"""A loopback TCP proxy that lets the network fail on cue.

It sits between the MCP server and a real Prefect server and forwards
HTTP/1.1 traffic untouched. It reads just enough of each request (the
request line, the headers, a ``Content-Length`` body) to count the requests
that change something; once ``allowed`` of them have gone through, it cuts:
the next request is not forwarded (or, with ``lose_answer``, forwarded and
its answer dropped), its connection is closed, and every later connection is
closed on arrival. This is the one thing the tests simulate: a network that
goes away. The Prefect server stays real.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from prefect_schedule_mcp.embedded import LOOPBACK

logger = logging.getLogger(__name__)

HEADER_END = b"\r\n\r\n"
CHANGE_PATHS = (b"/flow_runs/bulk_set_state", b"/flow_runs/bulk_delete")
PIPE_CHUNK = 65536


def is_change(request_line: bytes) -> bool:
    """Whether a request changes flow runs (the calls a fault should hit)."""
    return any(path in request_line for path in CHANGE_PATHS)


class CuttingProxy:
    """Forwards to ``upstream_port``; cuts after ``allowed`` counted requests."""

    def __init__(
        self,
        upstream_port: int,
        allowed: int,
        counts: Callable[[bytes], bool] = is_change,
        lose_answer: bool = False,
    ) -> None:
        self.upstream_port = upstream_port
        self.allowed = allowed
        self.counts = counts
        self.lose_answer = lose_answer
        self.forwarded = 0
        self.cut = False
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{LOOPBACK}:{port}/api"

    async def start(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> CuttingProxy:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        if self.cut:
            await _close(client_writer)
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(
            LOOPBACK, self.upstream_port
        )
        answers = asyncio.create_task(_pipe(upstream_reader, client_writer))
        self._tasks.add(answers)
        answers.add_done_callback(self._tasks.discard)
        try:
            while True:
                request = await _read_request(client_reader)
                if request is None or self.cut:
                    break
                if self.counts(request.split(b"\r\n", 1)[0]):
                    if self.forwarded >= self.allowed:
                        self.cut = True
                        logger.info("Cutting the connection after %s", self.allowed)
                        if self.lose_answer:
                            answers.cancel()
                            await asyncio.gather(answers, return_exceptions=True)
                            upstream_writer.write(request)
                            await upstream_writer.drain()
                            # The server answers once it has applied the change.
                            await upstream_reader.read(1)
                        break
                    self.forwarded += 1
                upstream_writer.write(request)
                await upstream_writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            answers.cancel()
            await _close(upstream_writer)
            await _close(client_writer)


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One whole request (head and body), or ``None`` at the end of the stream."""
    try:
        head = await reader.readuntil(HEADER_END)
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while data := await reader.read(PIPE_CHUNK):
            writer.write(data)
            await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
