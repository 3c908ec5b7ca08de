"""Gateway throughput, cost and latency: signed SMS webhooks to a real `aiguillage serve`.

    .venv/bin/python bench/gateway.py                 # bare and gateway alternating, twice
    .venv/bin/python bench/gateway.py --quick         # 20 messages at concurrency 2 on SQLite
    .venv/bin/python bench/gateway.py --tree ../old   # the gateway of another checkout
    .venv/bin/python bench/gateway.py --rounds 0      # only the counting pass (CPU, round trips)
    .venv/bin/python bench/gateway.py --workers 2     # WORKERS=2 on PostgreSQL

Each message comes from a new number with a text of tests/data/dev.jsonl; the gateway
stores it, answers it and its outbox sends the reply to a fake Twilio on loopback, which
calls the gateway back with a `sent` and a `delivered` status for every body, as Twilio
does. A run fails when a number gets fewer or more bodies than the gateway's own engine
gives that text (measured first, in a process of the measured tree, on a scratch database),
or when a status callback is not answered 2xx. CPU is the server process's own (utime +
stime); database round trips are counted by a proxy in a separate pass (bench/pgproxy.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, closing, contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path

import asyncpg
from aiohttp import ClientSession, TCPConnector

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bench.fake_sms import TimedTwilio  # noqa: E402
from bench.load import PUBLIC, Sent, closed_loop, dev_texts, fixed_rate, residents  # noqa: E402
from bench.pgproxy import CountingProxy  # noqa: E402
from bench.processes import Probe, Server, Tree, bare, cpu_seconds, free_port, process  # noqa: E402
from bench.report import HEADER, Figures, line, percentiles, summary  # noqa: E402
from tests.databases import postgres_database  # noqa: E402
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
CONCURRENCY, SECONDS = 10, 3.0  # the closed loop: senders, seconds of sending
RATE, RATE_SECONDS = 200, 5.0  # the open loop
COUNT_SECONDS = 2.0  # the counting pass, through the proxy, closed loop
WARM_UP = 30  # messages at concurrency 5 before measuring a gateway (checked, not shown)
ROUNDS = 2
STALL = 30.0  # seconds without a new reply after which the missing ones count as lost
QUIET, IDLE = 1.0, 0.1  # the run is over: no reply and under 10 % of a core for 1 s
DRAIN = 900.0  # seconds to wait for that at most (the baseline under load needed over 300)


@dataclass(frozen=True)
class Target:
    """A server under load; a gateway has its own fake Twilio, and a proxy when counted."""

    name: str
    server: Server
    twilio: TimedTwilio | None = None
    proxy: CountingProxy | None = None
    database_url: str = ""  # straight to the database, never through the proxy


@dataclass(frozen=True)
class Counters:
    """What a run is measured by: the difference of these before and after it."""

    cpu: float
    flights: int
    bodies: int
    callbacks: int
    refused: int

    @classmethod
    def of(cls, target: Target) -> Counters:
        twilio, proxy = target.twilio, target.proxy
        return cls(
            cpu_seconds(target.server.pid),
            proxy.flights if proxy else 0,
            len(twilio.sent) if twilio else 0,
            twilio.callbacks if twilio else 0,
            len(twilio.refused) if twilio else 0,
        )

    def __sub__(self, before: Counters) -> Counters:
        return Counters(*(getattr(self, f.name) - getattr(before, f.name) for f in fields(self)))


@asynccontextmanager
async def gateway(
    tree: Tree,
    name: str,
    database_url: str,
    proxy: CountingProxy | None = None,
    direct_url: str = "",
) -> AsyncIterator[Target]:
    """`python -m bot serve` of `tree` on a free port, SMS through its own fake Twilio;
    `direct_url`: the database without the proxy in between (default: `database_url`)."""
    twilio = TimedTwilio()
    async with twilio.serving() as twilio_url:
        port = free_port()
        env = tree.env(
            DATABASE_URL=database_url,
            CONTENT_DIR=str(tree.content),
            HOST="127.0.0.1",
            PORT=str(port),
            PUBLIC_BASE_URL=PUBLIC,
            SECRET_KEY=SECRET,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_FROM_NUMBER=FROM_NUMBER,
            TWILIO_API_BASE_URL=twilio_url,
        )
        if tree.workers > 1 and make_url(database_url).get_backend_name() == "postgresql":
            env["WORKERS"] = str(tree.workers)  # SQLite has one writer: one process
        try:
            command, log = [tree.python, "-m", "bot", "serve"], name.replace("*", "-counted")
            async with process(log, command, env, port) as server:
                twilio.call_back(server.url, PUBLIC)
                yield Target(name, server, twilio, proxy, direct_url or database_url)
                await twilio.settled()
        finally:
            await twilio.close()


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A SQLite database in a folder removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{folder}/bench.db"


@asynccontextmanager
async def sqlite_gateway(tree: Tree) -> AsyncIterator[Target]:
    with sqlite_url() as url:
        async with gateway(tree, "sqlite", url) as target:
            yield target


@asynccontextmanager
async def postgres_gateway(tree: Tree) -> AsyncIterator[Target]:
    async with postgres_database() as url, gateway(tree, "postgresql", url) as target:
        yield target


@asynccontextmanager
async def counted_postgres(tree: Tree) -> AsyncIterator[Target]:
    """A gateway on a fresh PostgreSQL database reached through the counting proxy."""
    async with postgres_database() as url:
        direct = make_url(url)
        proxy = CountingProxy(direct.host or "127.0.0.1", direct.port or 5432)
        async with proxy.serving() as port:
            proxied = direct.set(host="127.0.0.1", port=port).render_as_string(False)
            async with gateway(tree, "postgresql*", proxied, proxy, url) as target:
                yield target


GATEWAYS = {"postgresql": postgres_gateway, "sqlite": sqlite_gateway}


async def arrivals(
    target: Target, sent: list[Sent], expected: dict[str, int]
) -> dict[str, list[float]]:
    """Wait until every acknowledged message's bodies have reached the fake Twilio (or none
    came for STALL seconds), then until the gateway is idle."""
    assert target.twilio is not None
    got = target.twilio.arrivals
    wanted = sum(expected[s.message.text] for s in sent if s.status == 200)
    senders = [s.message.sender for s in sent]

    def received() -> int:
        return sum(len(got.get(n, ())) for n in senders)

    progress, seen = time.perf_counter(), -1
    while (count := received()) < wanted and time.perf_counter() - progress < STALL:
        if count > seen:
            progress, seen = time.perf_counter(), count
        await asyncio.sleep(0.05)
    await idle(target, received)
    return {n: list(got.get(n, ())) for n in senders}


async def idle(target: Target, received: Callable[[], int]) -> None:
    """Wait until the gateway has answered every message it stored, and no body has come
    and it used under IDLE of a core for QUIET seconds: it may still be answering webhooks
    the client gave up on, storing what it spooled or retrying a turn after a back-off, work
    of this run that must not spill into the next (DRAIN seconds at most)."""
    deadline, pid = time.perf_counter() + DRAIN, target.server.pid
    while time.perf_counter() < deadline:
        count, cpu = received(), cpu_seconds(pid)
        await asyncio.sleep(QUIET)
        quiet = received() == count and cpu_seconds(pid) - cpu < IDLE * QUIET
        if quiet and await unanswered(target.database_url) in (0, None):
            return
    print(f"{target.name} (pid {pid}) was still busy after {DRAIN:.0f} s", file=sys.stderr)


UNANSWERED = "SELECT count(*) FROM messages WHERE direction = 'in' AND processed_at IS NULL"


async def unanswered(url: str) -> int | None:
    """Messages the gateway stored and has not answered yet (None: not known, the schema of
    that commit differs). Read from the bench, so it costs the gateway nothing."""
    location = make_url(url)
    try:
        if location.get_backend_name() == "sqlite":
            read_only = f"file:{location.database}?mode=ro"
            with closing(sqlite3.connect(read_only, uri=True)) as connection:
                return int(connection.execute(UNANSWERED).fetchone()[0])
        connection = await asyncpg.connect(
            location.set(drivername="postgresql").render_as_string(False)
        )
        try:
            return int(await connection.fetchval(UNANSWERED))
        finally:
            await connection.close()
    except (sqlite3.Error, asyncpg.PostgresError, OSError):
        return None


def figures(
    run: str,
    target: Target,
    load: str,
    sent: list[Sent],
    spent: Counters,
    got: dict[str, list[float]] | None = None,
    expected: dict[str, int] | None = None,
) -> Figures:
    """The row of one run; `got` and `expected` are None for the bare endpoint, whose CPU
    is per request, where a gateway's is per answered message (all its bodies received)."""
    first = min(s.start for s in sent)
    acked = max(s.start + s.latency for s in sent)
    errors = sum(s.status != 200 for s in sent)
    lost = twice = 0
    answered, replies = len(sent), []
    answered_rate = reply = None
    if got is not None and expected is not None:
        answered = 0
        for s in sent:
            bodies, wanted = got[s.message.sender], expected[s.message.text]
            answered += len(bodies) >= wanted
            lost += len(bodies) < wanted and s.status == 200
            twice += len(bodies) > wanted
            if bodies:
                replies.append(max(bodies) - s.start)
        last = max((max(b) for b in got.values() if b), default=acked)
        answered_rate = answered / (last - first)
        reply = percentiles(replies) if replies else None
    return Figures(
        run=run,
        target=target.name,
        load=load,
        count=len(sent),
        webhook_rate=(len(sent) - errors) / (acked - first),
        answered_rate=answered_rate,
        cpu_ms=spent.cpu * 1e3 / max(answered, 1),
        round_trips=spent.flights / max(answered, 1) if target.proxy else None,
        webhook=percentiles([s.latency for s in sent]),
        reply=reply,
        callbacks=(spent.callbacks, 2 * spent.bodies) if target.twilio else None,
        errors=errors,
        lost=lost,
        twice=twice,
    )


class Bench:
    """The client session, the stream of residents and the expected replies, shared."""

    def __init__(self, session: ClientSession, probe: Probe) -> None:
        self.session, self.probe = session, probe
        self.texts = dev_texts()
        self.messages = residents(self.texts)
        self.expected: dict[str, int] = {}
        self.checked: list[Figures] = []  # every run, shown or not (warm-ups)

    def calibrate(self, tree: Tree) -> str:
        """Learn how many bodies each text gets from the measured tree's engine and content;
        returns where its code was imported from."""
        code, self.expected = tree.expected_bodies(self.texts)
        if not Path(code).is_relative_to(tree.path):
            raise RuntimeError(f"the measured code comes from {code}, not {tree.path}")
        return code

    async def closed(
        self,
        run: str,
        target: Target,
        concurrency: int,
        seconds: float,
        count: int | None = None,
        show: bool = True,
    ) -> Figures:
        url = target.server.url
        return await self.measure(
            run,
            target,
            f"c={concurrency}",
            lambda: closed_loop(self.session, url, self.messages, concurrency, seconds, count),
            show,
        )

    async def open(self, run: str, target: Target) -> Figures:
        url = target.server.url
        return await self.measure(
            run,
            target,
            f"{RATE}/s",
            lambda: fixed_rate(self.session, url, self.messages, RATE, RATE_SECONDS),
        )

    async def warm_up(self, target: Target) -> None:
        """A few messages first (connections, caches), checked like the others."""
        await self.closed("warm-up", target, 5, 600.0, count=WARM_UP, show=False)

    async def measure(
        self,
        run: str,
        target: Target,
        load: str,
        drive: Callable[[], Awaitable[list[Sent]]],
        show: bool = True,
    ) -> Figures:
        """One run: the load, then every reply and status callback, then the counters."""
        before, mark = Counters.of(target), len(self.probe.samples)
        sent = await drive()
        got = None
        if target.twilio is not None:
            got = await arrivals(target, sent, self.expected)
            await target.twilio.settled()
        after = Counters.of(target)
        spent = after - before
        row = figures(run, target, load, sent, spent, got, self.expected if got else None)
        row = replace(row, reference_ms=self.probe.median_since(mark))
        self.checked.append(row)
        if row.failed:
            print(f"{target.name} {load}: see {target.server.log}", file=sys.stderr)
            if target.twilio is not None and spent.refused:
                refused = Counter(target.twilio.refused[-spent.refused :])
                print(f"status callbacks refused: {dict(refused)}", file=sys.stderr)
        if show:
            print(line(row), flush=True)
        return row


@asynccontextmanager
async def bench(tree: Tree) -> AsyncIterator[Bench]:
    """A client session without a connection limit, calibrated on the tree's engine."""
    connector = TCPConnector(limit=0)
    async with ClientSession(connector=connector) as session, Probe().running() as probe:
        b = Bench(session, probe)
        code = b.calibrate(tree)
        workers = f"; WORKERS={tree.workers} on PostgreSQL" if tree.workers > 1 else ""
        print(f"gateway code: {tree.label()}; bot imported from {code}{workers}")
        yield b


async def alternate(b: Bench, tree: Tree, rounds: int, only: str | None) -> None:
    """The bare endpoint and the gateways, one run each in turn, `rounds` times."""
    async with AsyncExitStack() as stack:
        ceiling = Target("bare", await stack.enter_async_context(bare()))
        gateways = [
            await stack.enter_async_context(start(tree))
            for name, start in GATEWAYS.items()
            if only in (None, name)
        ]
        for target in gateways:
            await b.warm_up(target)
        for n in range(1, rounds + 1):
            await b.closed(str(n), ceiling, CONCURRENCY, SECONDS)
            for target in gateways:
                await b.closed(str(n), target, CONCURRENCY, SECONDS)
                if target.name == "postgresql":
                    await b.open(str(n), target)


async def full(tree: Tree, rounds: int, only: str | None) -> list[Figures]:
    """Bare and gateways alternating, `rounds` times; then the counting pass."""
    async with bench(tree) as b:
        print(f"machine: {machine()}\n\n{HEADER}", flush=True)
        if rounds:
            await alternate(b, tree, rounds, only)
        if only in (None, "postgresql"):
            async with counted_postgres(tree) as counted:
                b.messages = residents(b.texts)  # the same texts for every commit counted
                await b.warm_up(counted)
                await b.closed("count", counted, CONCURRENCY, COUNT_SECONDS)
        print(f"machine: {machine()}")
        return b.checked


def machine() -> str:
    """How busy the shared machine is: its load over 1, 5 and 15 minutes, and the CPU time
    this process takes for a fixed piece of pure-Python work (it grows when other people's
    work shares the cores' caches; compare the CPU figures of two runs with it in mind)."""
    times = []
    for _ in range(3):
        start = time.process_time()
        sum(len(str(n)) for n in range(300_000))
        times.append(time.process_time() - start)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return f"load average {load}; reference work {min(times) * 1e3:.0f} ms of CPU"


async def quick(tree: Tree) -> list[Figures]:
    """20 messages at concurrency 2 on SQLite: does every number get its replies once?"""
    async with bench(tree) as b:
        print(HEADER, flush=True)
        async with sqlite_gateway(tree) as target:
            await b.closed("quick", target, 2, 60.0, count=20)
        return b.checked


def main() -> int:
    """Print the table; exit status 1 when a webhook was not answered 200, a message lost or
    answered twice, or a status callback not answered 2xx."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 messages, SQLite only")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose gateway runs")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="bare/gateway alternations (0: count only)"
    )
    parser.add_argument("--only", choices=("postgresql", "sqlite"), help="one database")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes on PostgreSQL (WORKERS)"
    )
    args = parser.parse_args()
    tree = Tree.at(args.tree, workers=args.workers)
    if args.quick:
        rows = asyncio.run(quick(tree))
    else:
        rows = asyncio.run(full(tree, args.rounds, args.only))
        print()
        print(summary(rows))
    return 1 if any(row.failed for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
