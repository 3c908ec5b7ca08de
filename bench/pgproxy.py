"""A TCP proxy between the gateway and PostgreSQL that counts database round trips.

    async with CountingProxy("127.0.0.1", 5432).serving() as port: ...   # then proxy.flights

A round trip ("flight") is counted each time a client sends bytes after having received
bytes from the server on that connection, plus the first send: a query answered before the
next is sent counts one, a pipelined batch counts one. The count needs nothing from the
gateway's code, so the same bench counts the round trips of any commit. The proxy costs CPU
and latency in the bench process, so it is used only in a separate counting pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

CHUNK = 1 << 16


class CountingProxy:
    """Forwards every connection to `host:port` unchanged, counting round trips."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.flights = 0
        self.connections = 0

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[int]:
        """Listen on a free port of 127.0.0.1; yields that port."""
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _connection(self, client: asyncio.StreamReader, back: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream, forth = await asyncio.open_connection(self.host, self.port)
        except OSError:
            back.close()
            return
        answered = [True]  # the server spoke since the client last sent: its next send counts
        await asyncio.gather(
            self._pipe(client, forth, answered, from_client=True),
            self._pipe(upstream, back, answered, from_client=False),
        )

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        answered: list[bool],
        from_client: bool,
    ) -> None:
        """Copy one direction until it closes, then close the other end."""
        try:
            while data := await source.read(CHUNK):
                if from_client and answered[0]:
                    self.flights += 1
                answered[0] = not from_client
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.close()
