"""Prometheus metrics at GET /metrics: this process's counters and histograms, and the
queue and ticket figures read from the database at each scrape. No label holds personal data.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import Database
from bot.store.poison import dead_letters
from bot.store.repository import open_ticket_counts, outbox_counts

REGISTRY = CollectorRegistry()
MESSAGES_IN = Counter(
    "aiguillage_messages_in",
    "Residents' messages stored, by channel (platform retries not counted)",
    ["channel"],
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "aiguillage_duplicates",
    "Platform retries of a message already stored, by channel",
    ["channel"],
    registry=REGISTRY,
)
TURNS = Counter(
    "aiguillage_turns",
    "Answered turns by understood intent and the handler that answered (clarify, fallback...)",
    ["intent", "handler"],
    registry=REGISTRY,
)
HANDOFFS = Counter(
    "aiguillage_handoffs", "Turns that handed the resident to mediators", registry=REGISTRY
)
LIMITED = Counter(
    "aiguillage_limited",
    "Messages held back by an abuse limit: warned, silent (rate), ticket_capped",
    ["limit"],
    registry=REGISTRY,
)
UNUSABLE = Counter(
    "aiguillage_unusable_updates",
    "Platform updates acknowledged without being used, by channel and reason: ignored (a kind "
    "we do not answer) or the error that made it unusable (never retried forever)",
    ["channel", "reason"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "aiguillage_dead_letters",
    "Residents' messages given up on after repeated failed turns, in this process",
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "aiguillage_request_seconds",
    "Time to handle an HTTP request (webhooks: until the platform is acknowledged), by route",
    ["route"],
    registry=REGISTRY,
)
TURN_SECONDS = Histogram(
    "aiguillage_turn_seconds",
    "Time to run one turn: understand, answer, save and queue the replies",
    registry=REGISTRY,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Observe each request's duration under its route pattern (never its concrete path)."""
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        REQUEST_SECONDS.labels(name).observe(time.perf_counter() - started)


class Stored(Protocol):
    """What /metrics reads of the running gateway (bot.gateway.runtime.Runtime)."""

    @property
    def database(self) -> Database: ...


S = TypeVar("S", bound=Stored)


def mount(app: web.Application, runtime_key: web.AppKey[S], token: str | None = None) -> None:
    """Serve GET /metrics: with `token`, to `Authorization: Bearer <token>` only; without
    one, only to a client on this host that no proxy forwarded (so not to the world
    through a reverse proxy that forwards everything)."""
    reading: dict[str, asyncio.Future[list[Metric]]] = {}

    async def gauges(request: web.Request) -> list[Metric]:
        """The database's figures; scrapes arriving while they are read share that read."""
        if "now" in reading:
            return await asyncio.shield(reading["now"])
        future: asyncio.Future[list[Metric]] = asyncio.get_running_loop().create_future()
        reading["now"] = future
        try:
            async with request.app[runtime_key].database.session() as session:
                future.set_result(await database_gauges(session))
        except Exception as error:
            future.set_exception(error)
        finally:
            del reading["now"]
        return future.result()

    async def exposition(request: web.Request) -> web.Response:
        if not _allowed(request, token):
            raise web.HTTPForbidden(text="metrics: set METRICS_TOKEN and send it as a bearer\n")
        body = text_format(await gauges(request))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", exposition)


def _allowed(request: web.Request, token: str | None) -> bool:
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(errors="surrogateescape"), token.encode())
    direct = "X-Forwarded-For" not in request.headers and "Forwarded" not in request.headers
    return direct and request.remote in ("127.0.0.1", "::1")


async def database_gauges(session: AsyncSession) -> list[Metric]:
    """Outbox rows by channel and status (pending = queue depth; sent and delivered = messages
    out; failed = given up), and open tickets by status. Shared by every process."""
    outbox = GaugeMetricFamily(
        "aiguillage_outbox", "Outbox rows by channel and status", labels=["channel", "status"]
    )
    for channel, status, count in await outbox_counts(session):
        outbox.add_metric([channel, status], count)
    tickets = GaugeMetricFamily(
        "aiguillage_open_tickets", "Tickets open or taken by a mediator", labels=["status"]
    )
    for status, count in (await open_ticket_counts(session)).items():
        tickets.add_metric([status], count)
    dead = GaugeMetricFamily(
        "aiguillage_unanswered_dead_letters",
        "Residents' messages given up on after repeated failed turns (see the inbox)",
        value=await dead_letters(session),
    )
    return [outbox, tickets, dead]


def text_format(gauges: list[Metric]) -> bytes:
    """The Prometheus text format: this process's counters, then the database's gauges."""
    scrape = CollectorRegistry()
    scrape.register(_Collected(gauges))
    return generate_latest(REGISTRY) + generate_latest(scrape)


class _Collected:
    """Metrics already read, for one scrape."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> list[Metric]:
        return self.metrics
