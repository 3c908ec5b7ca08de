"""Gateway throughput, cost and latency: signed SMS webhooks to a real `aiguillage serve`.

    .venv/bin/python bench/gateway.py                 # bare and gateway alternating, twice
    .venv/bin/python bench/gateway.py --quick         # 20 messages at concurrency 2 on SQLite
    .venv/bin/python bench/gateway.py --tree ../old   # the gateway of another checkout

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
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from aiohttp import ClientSession, TCPConnector

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bench.fake_sms import TimedTwilio  # noqa: E402
from bench.load import PUBLIC, Sent, closed_loop, dev_texts, fixed_rate, residents  # noqa: E402
from bench.pgproxy import CountingProxy  # noqa: E402
from bench.processes import Server, Tree, bare, cpu_seconds, free_port, process  # noqa: E402
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
GRACE = 0.5  # seconds to wait after the last expected reply, for a duplicate to show up


@dataclass(frozen=True)
class Target:
    """A server under load; a gateway has its own fake Twilio, and a proxy when counted."""

    name: str
    server: Server
    twilio: TimedTwilio | None = None
    proxy: CountingProxy | None = None


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
    tree: Tree, name: str, database_url: str, proxy: CountingProxy | None = None
) -> AsyncIterator[Target]:
    """`python -m bot serve` of `tree` on a free port, SMS through its own fake Twilio."""
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
        try:
            async with process(name, [tree.python, "-m", "bot", "serve"], env, port) as server:
                twilio.call_back(server.url, PUBLIC)
                yield Target(name, server, twilio, proxy)
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
            async with gateway(tree, "postgresql*", proxied, proxy) as target:
                yield target


GATEWAYS = {"postgresql": postgres_gateway, "sqlite": sqlite_gateway}


async def arrivals(
    twilio: TimedTwilio, sent: list[Sent], expected: dict[str, int]
) -> dict[str, list[float]]:
    """Wait until every acknowledged message's bodies have reached the fake Twilio (or no new
    body came for STALL seconds), then a little more for a duplicate to show up."""
    wanted = sum(expected[s.message.text] for s in sent if s.status == 200)
    senders = [s.message.sender for s in sent]
    progress, seen = time.perf_counter(), -1
    while time.perf_counter() - progress < STALL:
        now = sum(len(twilio.arrivals.get(n, ())) for n in senders)
        if now >= wanted:
            break
        if now > seen:
            progress, seen = time.perf_counter(), now
        await asyncio.sleep(0.05)
    await asyncio.sleep(GRACE)
    return {n: list(twilio.arrivals.get(n, ())) for n in senders}


def figures(
    run: str,
    target: Target,
    load: str,
    sent: list[Sent],
    spent: Counters,
    got: dict[str, list[float]] | None = None,
    expected: dict[str, int] | None = None,
) -> Figures:
    """The row of one run; `got` and `expected` are None for the bare endpoint."""
    first = min(s.start for s in sent)
    acked = max(s.start + s.latency for s in sent)
    errors = sum(s.status != 200 for s in sent)
    lost = twice = 0
    replies = []
    answered_rate = reply = None
    if got is not None and expected is not None:
        for s in sent:
            bodies, wanted = got[s.message.sender], expected[s.message.text]
            lost += len(bodies) < wanted and s.status == 200
            twice += len(bodies) > wanted
            if bodies:
                replies.append(max(bodies) - s.start)
        last = max((max(b) for b in got.values() if b), default=acked)
        answered_rate = len(sent) / (last - first)
        reply = percentiles(replies) if replies else None
    return Figures(
        run=run,
        target=target.name,
        load=load,
        count=len(sent),
        webhook_rate=len(sent) / (acked - first),
        answered_rate=answered_rate,
        cpu_ms=spent.cpu * 1e3 / len(sent),
        round_trips=spent.flights / len(sent) if target.proxy else None,
        webhook=percentiles([s.latency for s in sent]),
        reply=reply,
        callbacks=(spent.callbacks, 2 * spent.bodies) if target.twilio else None,
        errors=errors,
        lost=lost,
        twice=twice,
    )


class Bench:
    """The client session, the stream of residents and the expected replies, shared."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
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
        before = Counters.of(target)
        sent = await drive()
        got = None
        if target.twilio is not None:
            got = await arrivals(target.twilio, sent, self.expected)
            await target.twilio.settled()
        after = Counters.of(target)
        spent = after - before
        row = figures(run, target, load, sent, spent, got, self.expected if got else None)
        self.checked.append(row)
        if row.lost or row.twice or spent.refused:
            print(
                f"{target.name} {load}: lost, twice or refused; see {target.server.log}",
                file=sys.stderr,
            )
            if target.twilio is not None:
                print("\n".join(target.twilio.refused[-spent.refused :]), file=sys.stderr)
        if show:
            print(line(row), flush=True)
        return row


@asynccontextmanager
async def bench(tree: Tree) -> AsyncIterator[Bench]:
    """A client session without a connection limit, calibrated on the tree's engine."""
    async with ClientSession(connector=TCPConnector(limit=0)) as session:
        b = Bench(session)
        print(f"gateway code: {tree.label()}; bot imported from {b.calibrate(tree)}")
        yield b


async def full(tree: Tree, rounds: int, only: str | None) -> list[Figures]:
    """Bare and gateways alternating, `rounds` times; then the counting pass."""
    async with bench(tree) as b:
        print(f"machine: {machine()}\n\n{HEADER}", flush=True)
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
        if only in (None, "postgresql"):
            async with counted_postgres(tree) as counted:
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
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="bare/gateway alternations")
    parser.add_argument("--only", choices=("postgresql", "sqlite"), help="one database")
    args = parser.parse_args()
    tree = Tree.at(args.tree)
    if args.quick:
        rows = asyncio.run(quick(tree))
    else:
        rows = asyncio.run(full(tree, args.rounds, args.only))
        print()
        print(summary(rows))
    failed = any(
        r.lost or r.twice or (r.callbacks and r.callbacks[0] != r.callbacks[1]) for r in rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
