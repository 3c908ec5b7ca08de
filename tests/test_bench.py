"""Each benchmark runs on a tiny size (no timings asserted: `make bench` gives the figures)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from bench import memory, nearest, sms_cost, understanding
from bot.content import load_content
from bot.understanding import Understander
from tests.harness import CONTENT_DIR

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_gateway_answers_each_message_once():
    command = [sys.executable, str(BENCH / "gateway.py"), "--quick"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert result.stdout.splitlines()[-1].split()[-2:] == ["0", "0"]  # lost, twice


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
