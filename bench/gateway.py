"""Gateway throughput and latency: signed SMS webhooks to a real `aiguillage serve` on loopback.

    .venv/bin/python bench/gateway.py           # bare ceiling, SQLite, PostgreSQL, 200 msg/s
    .venv/bin/python bench/gateway.py --quick   # 20 messages at concurrency 2 on SQLite

Each message comes from a new number with a text of tests/data/dev.jsonl; the gateway
stores it, answers it and its outbox sends the reply to a fake Twilio on loopback, which
notes when each body arrives. A run fails when a number gets fewer or more bodies than the
real engine gives that text (measured first, in this process, on a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import ClientSession, TCPConnector, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels.sms import EMPTY_TWIML, INBOUND_PATH  # noqa: E402
from bot.content import load_content  # noqa: E402
from bot.rendering.gsm import render_sms  # noqa: E402
from bot.store.db import Database  # noqa: E402
from tests.databases import postgres_database  # noqa: E402
from tests.fake_twilio import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilio,
    post_signed,
)
from tests.harness import ConversationBot  # noqa: E402

CONTENT_DIR = ROOT / "content"
PUBLIC = "https://aiguillage.example.org"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
LEVELS = (1, 10, 50, 200)
SECONDS_PER_LEVEL = 3.0
RATE, RATE_SECONDS = 200, 5.0
REPLY_TIMEOUT = 60.0  # seconds to wait for the last reply of a level
LOGS = Path(tempfile.gettempdir()) / "aiguillage-bench"  # each server's output, kept
GRACE = 0.5  # seconds to wait after the last expected reply, for a duplicate to show up


class TimedTwilio(FakeTwilio):
    """The fake Twilio REST API, noting when each accepted body arrives, per number."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self._noted = 0

    async def _create(self, request: web.Request) -> web.Response:
        response = await super()._create(request)
        now = time.perf_counter()
        for form in self.sent[self._noted :]:
            self.arrivals[form["To"]].append(now)
        self._noted = len(self.sent)
        return response


@dataclass(frozen=True)
class Message:
    sender: str
    text: str
    sid: str


@dataclass(frozen=True)
class Sent:
    message: Message
    start: float
    latency: float
    status: int


@dataclass(frozen=True)
class Figures:
    """One row of the table: a target at one load."""

    target: str
    load: str
    count: int
    webhook_rate: float
    answered_rate: float | None
    webhook: tuple[float, float, float]  # p50, p95, p99 in seconds
    reply: tuple[float, float, float] | None
    lost: int
    twice: int


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path


def residents(texts: list[str]) -> Iterator[Message]:
    """Endless messages, each from a new number, cycling through the texts."""
    for n in itertools.count():
        yield Message(f"+3367{n:08d}", texts[n % len(texts)], f"SM{n:032x}")


def dev_texts() -> list[str]:
    """The texts of tests/data/dev.jsonl, in order."""
    lines = (ROOT / "tests" / "data" / "dev.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


async def expected_bodies(texts: list[str], content_dir: Path) -> dict[str, int]:
    """How many SMS bodies the real engine sends a new resident for each text, now."""
    content = load_content(content_dir)
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{folder}/expected.db")
        await database.upgrade()
        try:
            bot = ConversationBot(database, content, now=datetime.now(UTC))
            counts = {}
            for n, text in enumerate(dict.fromkeys(texts)):
                replies = await bot.say(f"+3369{n:08d}", text)
                counts[text] = sum(len(render_sms(reply)) for reply in replies)
            return counts
        finally:
            await database.close()


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listens(pid: int, port: int) -> bool:
    """Whether process `pid` owns the listening TCP socket on `port` (not another server)."""
    listening = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state, inode = row.split()[1], row.split()[3], row.split()[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            listening.add(f"socket:[{inode}]")
    sockets = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # a descriptor closed while we look
            sockets.add(os.readlink(fd))
    return bool(sockets & listening)


@asynccontextmanager
async def process(
    name: str, command: list[str], env: dict[str, str], port: int
) -> AsyncIterator[Server]:
    """Run a server process until it answers /healthz; stop it afterwards (its log is kept)."""
    LOGS.mkdir(exist_ok=True)
    log_path = LOGS / f"{name}-{port}.log"
    with tempfile.TemporaryDirectory() as folder, log_path.open("w+b") as log:
        # The working directory is empty: no .env of this checkout leaks into the settings.
        child = await asyncio.create_subprocess_exec(
            *command, cwd=folder, env=env, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with ClientSession() as session:
                for _ in range(600):
                    if child.returncode is not None:
                        log.seek(0)
                        raise RuntimeError(f"{command} exited:\n{log.read().decode()[-3000:]}")
                    try:
                        async with session.get(f"{url}/healthz") as response:
                            if response.status == 200 and listens(child.pid, port):
                                break
                    except OSError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"{command} did not answer /healthz in 60 s")
            yield Server(url, child.pid, log_path)
        finally:
            child.terminate()
            await child.wait()


def gateway(database_url: str, twilio_url: str, content_dir: Path = CONTENT_DIR):
    """`aiguillage serve` (python -m bot serve) on a free port, SMS through `twilio_url`."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "CONTENT_DIR": str(content_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_BASE_URL": PUBLIC,
        "SECRET_KEY": SECRET,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE_URL": twilio_url,
    }
    return process("gateway", [sys.executable, "-m", "bot", "serve"], env, port)


def bare() -> AsyncIterator[Server]:
    """The ceiling: an aiohttp process that reads the form and returns empty TwiML."""
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "")}
    return process("bare", [sys.executable, __file__, "--bare", str(port)], env, port)


def serve_bare(port: int) -> None:
    """Run the bare endpoint (in its own process)."""

    async def inbound(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(INBOUND_PATH, inbound)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def send(session: ClientSession, server: Server, message: Message) -> Sent:
    """POST one signed SMS webhook; note when it started and how long it took."""
    form = {"MessageSid": message.sid, "From": message.sender, "To": FROM_NUMBER}
    form |= {"Body": message.text, "AccountSid": ACCOUNT_SID, "NumMedia": "0"}
    start = time.perf_counter()
    async with await post_signed(session, server.url, INBOUND_PATH, form, PUBLIC) as response:
        await response.read()
    return Sent(message, start, time.perf_counter() - start, response.status)


async def closed_loop(
    session: ClientSession,
    server: Server,
    messages: Iterator[Message],
    concurrency: int,
    seconds: float,
    count: int | None = None,
) -> list[Sent]:
    """`concurrency` senders, each sending as soon as its previous webhook returns."""
    deadline, sent = time.perf_counter() + seconds, []
    taken, limit = itertools.count(), sys.maxsize if count is None else count

    async def sender() -> None:
        while time.perf_counter() < deadline and next(taken) < limit:
            sent.append(await send(session, server, next(messages)))

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return sent


async def fixed_rate(
    session: ClientSession, server: Server, messages: Iterator[Message], rate: float, seconds: float
) -> list[Sent]:
    """One webhook every 1/rate s whatever the answers (an open loop, as Twilio sends)."""
    start, tasks = time.perf_counter(), []
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(session, server, next(messages))))
    return list(await asyncio.gather(*tasks))


async def arrivals(
    twilio: TimedTwilio, sent: list[Sent], expected: dict[str, int]
) -> dict[str, list[float]]:
    """Wait until every expected body has reached the fake Twilio (or a time-out), then a bit."""
    wanted = sum(expected[s.message.text] for s in sent)
    senders = [s.message.sender for s in sent]
    deadline = time.perf_counter() + REPLY_TIMEOUT
    while time.perf_counter() < deadline:
        if sum(len(twilio.arrivals.get(n, ())) for n in senders) >= wanted:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(GRACE)
    return {n: list(twilio.arrivals.get(n, ())) for n in senders}


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 (nearest rank)."""
    ordered = sorted(values)
    return tuple(ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.95, 0.99))


def figures(
    target: str,
    load: str,
    sent: list[Sent],
    got: dict[str, list[float]] | None = None,
    expected: dict[str, int] | None = None,
) -> Figures:
    """The row for one run; `got` and `expected` are None for the bare endpoint."""
    first = min(s.start for s in sent)
    acked = max(s.start + s.latency for s in sent)
    lost = sum(s.status != 200 for s in sent)
    twice, replies = 0, []
    answered_rate = reply = None
    if got is not None and expected is not None:
        for s in sent:
            bodies, wanted = got[s.message.sender], expected[s.message.text]
            lost += len(bodies) < wanted
            twice += len(bodies) > wanted
            if bodies:
                replies.append(max(bodies) - s.start)
        last = max((max(b) for b in got.values() if b), default=acked)
        answered_rate = len(sent) / (last - first)
        reply = percentiles(replies) if replies else None
    hooks, hook_rate = percentiles([s.latency for s in sent]), len(sent) / (acked - first)
    return Figures(target, load, len(sent), hook_rate, answered_rate, hooks, reply, lost, twice)


HEADER = (
    f"{'target':<11} {'load':>9} {'msgs':>5} {'hook/s':>7} {'done/s':>7} "
    f"{'hook p50/p95/p99 ms':>20} {'reply p50/p95/p99 ms':>21} {'lost':>4} {'twice':>5}"
)


def line(row: Figures) -> str:
    """One row of the table, latencies in milliseconds."""

    def ms(triple: tuple[float, float, float] | None) -> str:
        return "-" if triple is None else "/".join(f"{v * 1e3:.0f}" for v in triple)

    done = "-" if row.answered_rate is None else f"{row.answered_rate:.0f}"
    return (
        f"{row.target:<11} {row.load:>9} {row.count:>5} {row.webhook_rate:>7.0f} {done:>7} "
        f"{ms(row.webhook):>20} {ms(row.reply):>21} {row.lost:>4} {row.twice:>5}"
    )


class Bench:
    """The fake Twilio, the client session and the stream of residents, shared by the runs."""

    def __init__(self, session: ClientSession, twilio: TimedTwilio, twilio_url: str) -> None:
        self.session, self.twilio, self.twilio_url = session, twilio, twilio_url
        self.texts = dev_texts()
        self.messages = residents(self.texts)
        self.expected: dict[str, int] = {}

    async def calibrate(self, content_dir: Path = CONTENT_DIR) -> None:
        """Learn how many bodies each text gets, from the real engine with this content."""
        self.expected = await expected_bodies(self.texts, content_dir)

    async def levels(
        self, target: str, server: Server, answered: bool, seconds: float = SECONDS_PER_LEVEL
    ) -> list[Figures]:
        """One closed-loop run per concurrency level."""
        rows = []
        for concurrency in LEVELS:
            sent = await closed_loop(self.session, server, self.messages, concurrency, seconds)
            rows.append(await self.row(target, server, f"c={concurrency}", sent, answered))
            print(line(rows[-1]), flush=True)
        return rows

    async def row(
        self, target: str, server: Server, load: str, sent: list[Sent], answered: bool
    ) -> Figures:
        """The figures of a run, with the replies checked when the target answers."""
        if not answered:
            return figures(target, load, sent)
        got = await arrivals(self.twilio, sent, self.expected)
        row = figures(target, load, sent, got, self.expected)
        if row.lost or row.twice:
            print(f"{target} {load}: lost or answered twice; see {server.log}", file=sys.stderr)
        return row


@asynccontextmanager
async def bench() -> AsyncIterator[Bench]:
    """A fake Twilio on loopback and a client session without a connection limit."""
    twilio = TimedTwilio()
    async with twilio.serving() as twilio_url, ClientSession(connector=TCPConnector(limit=0)) as s:
        yield Bench(s, twilio, twilio_url)


async def full() -> list[Figures]:
    """Bare ceiling, SQLite and PostgreSQL at each level, then 200 msg/s on PostgreSQL."""
    print(HEADER, flush=True)
    async with bench() as b:
        await b.calibrate()
        async with bare() as server:
            rows = await b.levels("bare", server, answered=False)
        with tempfile.TemporaryDirectory() as folder:
            async with gateway(f"sqlite+aiosqlite:///{folder}/bench.db", b.twilio_url) as server:
                rows += await b.levels("sqlite", server, answered=True)
        async with postgres_database() as url, gateway(url, b.twilio_url) as server:
            rows += await b.levels("postgresql", server, answered=True)
            sent = await fixed_rate(b.session, server, b.messages, RATE, RATE_SECONDS)
            rows.append(await b.row("postgresql", server, f"{RATE}/s", sent, answered=True))
            print(line(rows[-1]), flush=True)
    return rows


def ratios(rows: list[Figures]) -> list[str]:
    """Answered messages per second of each gateway as a share of the bare endpoint's."""
    ceiling = {r.load: r.webhook_rate for r in rows if r.target == "bare"}
    out = []
    for row in rows:
        if row.target != "bare" and row.load in ceiling and row.answered_rate:
            share = row.answered_rate / ceiling[row.load]
            out.append(f"{row.target:<11} {row.load:>9}  {share:>6.1%} of bare (target ≥ 30 %)")
    return out


async def quick() -> list[Figures]:
    """20 messages at concurrency 2 on SQLite: does every number get its replies once?"""
    async with bench() as b:
        await b.calibrate()
        with tempfile.TemporaryDirectory() as folder:
            async with gateway(f"sqlite+aiosqlite:///{folder}/bench.db", b.twilio_url) as server:
                sent = await closed_loop(b.session, server, b.messages, 2, 60.0, count=20)
                return [await b.row("sqlite", server, "c=2", sent, answered=True)]


def main() -> int:
    """Print the table; exit status 1 when a message was lost or answered twice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 messages, SQLite only")
    parser.add_argument("--bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        serve_bare(args.bare)
        return 0
    if args.quick:
        rows = asyncio.run(quick())
        print(HEADER)
        print(line(rows[0]))
    else:
        rows = asyncio.run(full())
        print()
        print("\n".join(ratios(rows)))
    return 1 if any(r.lost or r.twice for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
