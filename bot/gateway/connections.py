"""The HTTP listener: timeouts on slow clients and a cap on open connections.

aiohttp closes a connection that has not sent a whole request head within its keep-alive
timeout, counted from the connection's opening and from each response: we set it to
HEADER_TIMEOUT (a slowloris sending a header byte now and then is cut off; an idle
kept-alive connection too). Bodies must arrive within BODY_TIMEOUT (bot.gateway.intake). Past
MAX_CONNECTIONS, a new connection takes the place of the oldest one not being answered
(a half-sent request, an idle keep-alive), so /healthz and the platforms still get in
while someone holds hundreds of sockets open; only when every connection is busy is the
new one refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
from typing import cast

from aiohttp import web

from bot.config import Settings
from bot.logs import fields

log = logging.getLogger("aiguillage.server")

SPARE_FILES = 100  # descriptors kept for the database pool, logs, content and the spool


class _Refused(asyncio.Protocol):
    """Every connection is busy answering: this one is told so and closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A TCP server's transports can write (the base class in the signature cannot).
        cast(asyncio.WriteTransport, transport).write(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        transport.close()


class BoundedConnections:
    """A protocol factory around aiohttp's server that keeps at most `limit` connections."""

    def __init__(self, server: web.Server, limit: int) -> None:
        self.server = server
        self.limit = limit
        self.evicted = 0

    def __call__(self) -> asyncio.Protocol:
        open_now = self.server.connections  # oldest first
        if len(open_now) >= self.limit:
            # `_request_in_progress` is aiohttp's own flag: a handler running for a request.
            idle = next((c for c in open_now if not c._request_in_progress), None)
            if idle is None:
                return _Refused()
            idle.force_close()
            self.evicted += 1
            if self.evicted % 100 == 1:  # a flood is logged now and then, not per socket
                log.warning(
                    "connections.full", extra=fields(limit=self.limit, evicted=self.evicted)
                )
        return self.server()


def connection_limit(wanted: int) -> int:
    """`wanted`, or fewer if the process may not open that many files; raises the soft
    limit on open files to the hard one first."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > soft):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(10, min(wanted, soft - SPARE_FILES))


async def serve(app: web.Application, settings: Settings) -> None:
    """Listen on HOST:PORT until SIGTERM or SIGINT, then stop cleanly."""
    # lingering_time: after an early answer (413, 408), the rest of a body is read and
    # dropped for at most this long (aiohttp's 10 s would keep a slow sender's socket).
    runner = web.AppRunner(
        app, keepalive_timeout=settings.header_timeout, lingering_time=1.0, access_log=None
    )
    await runner.setup()
    limit = connection_limit(settings.max_connections)
    if runner.server is None:  # setup() has made it
        raise RuntimeError("the web runner has no server after setup")
    factory = BoundedConnections(runner.server, limit)
    loop = asyncio.get_running_loop()
    # Several worker processes (WORKERS) each listen on the port; the kernel spreads the
    # connections among them (SO_REUSEPORT).
    listener = await loop.create_server(
        factory,
        settings.host,
        settings.port,
        reuse_address=True,
        reuse_port=settings.workers > 1,
        backlog=512,
    )
    stopping = asyncio.Event()
    for name in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(name, stopping.set)
    log.info(
        "server.listening",
        extra=fields(
            host=settings.host, port=settings.port, connections=limit, worker=settings.worker
        ),
    )
    try:
        await stopping.wait()
    finally:
        listener.close()
        await runner.cleanup()


def run(app: web.Application, settings: Settings) -> None:
    """`aiguillage serve`."""
    asyncio.run(serve(app, settings))
