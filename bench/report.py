"""The gateway bench's table, and its summary against issue 18's targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

Triple = tuple[float, float, float]


@dataclass(frozen=True)
class Figures:
    """One row of the table: a target at one load, in one run."""

    run: str  # the round ("1", "2"…), "count" for the pass through the proxy, "warm-up"
    target: str
    load: str
    count: int
    webhook_rate: float
    answered_rate: float | None
    cpu_ms: float  # the server's CPU per message (per request for the bare endpoint)
    round_trips: float | None  # per message, counted by the proxy
    webhook: Triple  # p50, p95, p99 in seconds
    reply: Triple | None
    callbacks: tuple[int, int] | None  # status callbacks answered 2xx, due
    errors: int  # webhooks not answered 200 (refused, reset, 15 s without an answer)
    lost: int  # acknowledged messages that got fewer bodies than the engine gives
    twice: int
    reference_ms: float | None = None  # the probe's reference work during the run

    @property
    def failed(self) -> bool:
        unanswered = self.callbacks is not None and self.callbacks[0] != self.callbacks[1]
        return bool(self.errors or self.lost or self.twice or unanswered)


def percentiles(values: list[float]) -> Triple:
    """p50, p95 and p99 (nearest rank)."""
    ordered = sorted(values)
    p50, p95, p99 = (
        ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.95, 0.99)
    )
    return p50, p95, p99


HEADER = (
    f"{'run':<5} {'target':<11} {'load':>5} {'msgs':>5} {'hook/s':>6} {'done/s':>6} "
    f"{'cpu ms':>6} {'rt':>4} {'hook p50/95/99 ms':>17} {'reply p50/95/99 ms':>18} "
    f"{'callbacks':>11} {'err':>4} {'lost':>4} {'twice':>5} {'ref':>4}"
)


def ms(triple: Triple | None) -> str:
    return "-" if triple is None else "/".join(f"{v * 1e3:.0f}" for v in triple)


def line(row: Figures) -> str:
    """One row of the table, latencies in milliseconds."""
    done = "-" if row.answered_rate is None else f"{row.answered_rate:.0f}"
    trips = "-" if row.round_trips is None else f"{row.round_trips:.1f}"
    calls = "-" if row.callbacks is None else "{}/{}".format(*row.callbacks)
    reference = "-" if row.reference_ms is None else f"{row.reference_ms:.0f}"
    return (
        f"{row.run:<5} {row.target:<11} {row.load:>5} {row.count:>5} {row.webhook_rate:>6.0f} "
        f"{done:>6} {row.cpu_ms:>6.2f} {trips:>4} {ms(row.webhook):>17} {ms(row.reply):>18} "
        f"{calls:>11} {row.errors:>4} {row.lost:>4} {row.twice:>5} {reference:>4}"
    )


LEGEND = """\
hook/s: webhooks answered 200 per second; done/s: messages answered per second (first
webhook sent to last SMS body received by the fake Twilio); cpu ms: the server process's
own CPU (utime+stime) over the run, status callbacks and background work included, per
answered message (per request for bare); rt: database round trips per answered message,
counted by a proxy between the gateway and PostgreSQL in a separate pass (postgresql*: not
in the throughput runs, the proxy costs latency), "-" for SQLite (in-process); callbacks:
`sent`+`delivered` status callbacks answered 2xx / due (two per SMS body); err: webhooks
not answered 200 (refused, reset, no answer in 15 s); lost / twice: acknowledged messages
whose number got fewer / more bodies than the engine gives. Any of these, or a callback
not answered, makes the bench exit 1. ref: CPU ms a fixed piece of pure-Python work took
during the run (a probe process, 10 times a second): CPU seconds are slower when other
work shares the cores: compare CPU figures between runs of a similar ref."""


def number(value: float) -> str:
    """Three significant digits or so, without an exponent."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


@dataclass(frozen=True)
class Goal:
    """A figure of issue 18, its values (one per round, or the counted pass) and its target."""

    name: str
    values: list[float]
    unit: str = ""
    target: str = ""
    met: Callable[[float], bool] | None = None

    def line(self) -> str:
        median = statistics.median(self.values)
        each = ", ".join(number(v) for v in self.values)
        measured = f"{number(median)}{self.unit} ({each})"
        verdict = "" if self.met is None else "met" if self.met(median) else "missed"
        return f"{self.name:<50} {measured:<26} {self.target:<16} {verdict}"


def goals(rows: list[Figures]) -> list[Goal]:
    """Issue 18's figures from the rounds' rows (and the counting pass)."""
    rounds = [r for r in rows if r.run.isdigit()]

    def each(target: str, load: str, value: Callable[[Figures], float | None]) -> list[float]:
        found = (value(r) for r in rounds if r.target == target and r.load == load)
        return [v for v in found if v is not None]

    bare = {r.run: r.webhook_rate for r in rounds if r.target == "bare"}
    shares = [
        r.answered_rate / bare[r.run] * 100
        for r in rounds
        if r.target == "postgresql" and r.load == "c=10" and r.answered_rate and r.run in bare
    ]
    counted = [r.round_trips for r in rows if r.run == "count" and r.round_trips is not None]

    return [
        Goal(
            "PostgreSQL answered/s, c=10",
            each("postgresql", "c=10", lambda r: r.answered_rate),
            "",
            "≥ 500",
            lambda v: v >= 500,
        ),
        Goal(
            "  as % of bare req/s in the same round",
            shares,
            " %",
            "≥ 15 % (aim 25)",
            lambda v: v >= 15,
        ),
        Goal(
            "webhook p99, open loop 200/s, PostgreSQL",
            each("postgresql", "200/s", lambda r: r.webhook[2] * 1e3),
            " ms",
            "< 50 ms",
            lambda v: v < 50,
        ),
        Goal(
            "gateway CPU per answered message, PostgreSQL c=10",
            each("postgresql", "c=10", lambda r: r.cpu_ms),
            " ms",
            "≤ 2 ms",
            lambda v: v <= 2,
        ),
        Goal(
            "DB round trips per message, PostgreSQL (counted)", counted, "", "≤ 8", lambda v: v <= 8
        ),
        Goal(
            "SQLite answered/s, c=10",
            each("sqlite", "c=10", lambda r: r.answered_rate),
            "",
            "≥ 300",
            lambda v: v >= 300,
        ),
        Goal(
            "gateway CPU per answered message, SQLite c=10",
            each("sqlite", "c=10", lambda r: r.cpu_ms),
            " ms",
        ),
        Goal("bare endpoint requests/s, c=10", list(bare.values())),
    ]


def summary(rows: list[Figures]) -> str:
    """The medians over the rounds next to issue 18's targets, and the legend."""
    head = f"{'figure':<50} {'median (each round)':<26} {'target (issue 18)':<16}"
    found = [goal.line() for goal in goals(rows) if goal.values]
    return "\n".join([head, *found]) + "\n\n" + LEGEND
