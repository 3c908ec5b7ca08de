"""Each benchmark runs on a tiny size (no timings asserted: `make bench` gives the figures)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench import memory, nearest, sms_cost, understanding
from bench.pgproxy import CountingProxy
from bench.processes import cpu_seconds
from bot.content import load_content
from bot.understanding import Understander
from tests.databases import postgres_database
from tests.harness import CONTENT_DIR

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_gateway_answers_each_message_once_and_gets_its_status_callbacks():
    command = [sys.executable, str(BENCH / "gateway.py"), "--quick"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    header, row = result.stdout.splitlines()[-2:]
    assert header.split()[-4:] == ["callbacks", "err", "lost", "twice"]
    assert "cpu ms" in header and " rt " in header
    fields = row.split()
    assert fields[:3] == ["quick", "sqlite", "c=2"]
    assert fields[-3:] == ["0", "0", "0"]  # webhooks not answered 200, lost, twice
    answered, due = map(int, fields[-4].split("/"))
    assert answered == due >= 2 * 20  # `sent` and `delivered` for each body, at least one each
    assert float(fields[6]) > 0  # the server's CPU per message
    assert fields[7] == "-"  # no round trips counted on SQLite


async def test_proxy_counts_one_round_trip_per_query_answered():
    async with postgres_database() as url:
        direct = make_url(url)
        proxy = CountingProxy(direct.host or "127.0.0.1", direct.port or 5432)
        async with proxy.serving() as port:
            connection = await asyncpg.connect(
                host="127.0.0.1", port=port, user=direct.username, database=direct.database
            )
            try:
                assert await connection.fetchval("SELECT $1::int + 1", 0) == 1  # prepares it
                before = proxy.flights
                for n in range(3):
                    assert await connection.fetchval("SELECT $1::int + 1", n) == n + 1
                assert proxy.flights - before == 3
            finally:
                await connection.close()
        assert proxy.connections == 1


def test_cpu_seconds_of_this_process_grows():
    before = cpu_seconds(os.getpid())
    sum(len(str(n)) for n in range(200_000))
    assert cpu_seconds(os.getpid()) > before


async def test_sms_cost_table():
    lines = await sms_cost.table()
    assert [line.split()[0] for line in lines[1:4]] == ["every", "dev.jsonl,", "dev.jsonl,"]


def test_memory_synthetic_content_loads(tmp_path):
    content = load_content(memory.synthetic_content(tmp_path, 50))
    assert len(content.places) == len(load_content(CONTENT_DIR).places) + 50
    peak, now = memory.memory_of(os.getpid())
    assert peak >= now > 0


def test_nearest_row():
    assert nearest.row(100, random.Random(1)).split()[0] == "100"


def test_understanding_rate(monkeypatch):
    monkeypatch.setattr(understanding, "SECONDS_PER_RUN", 0.01)
    content = load_content(CONTENT_DIR)
    language, gazetteer = understanding.scaled(content.language, list(content.gazetteer), 2)
    assert understanding.rate(Understander(gazetteer, language), ["bonjour"]) > 0
