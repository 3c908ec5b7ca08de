"""SMS cost: encoding and segments of every answer the content can give and of tests/data/dev.jsonl.

    .venv/bin/python bench/sms_cost.py

The dev cases go through the real engine (a scratch SQLite database, each from a new number);
a turn may bring several replies, so the cost per turn is shown too.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_content  # noqa: E402
from bot.messages import Reply  # noqa: E402
from bot.rendering.gsm import is_gsm7, render_sms, segment_count  # noqa: E402
from bot.store.db import Database  # noqa: E402
from tests.answers import every_answer  # noqa: E402
from tests.harness import CONTENT_DIR, ConversationBot  # noqa: E402


def cost(replies: Sequence[Reply]) -> tuple[bool, int]:
    """Whether every SMS body of these replies is GSM-7, and how many segments they take."""
    bodies = [body for reply in replies for body in render_sms(reply)]
    return all(is_gsm7(b) for b in bodies), sum(segment_count(b) for b in bodies)


async def dev_turns() -> list[list[Reply]]:
    """The replies to each dev case, each said by a new resident on a Wednesday morning."""
    lines = (ROOT / "tests" / "data" / "dev.jsonl").read_text("utf-8").splitlines()
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{folder}/cost.db")
        await database.upgrade()
        try:
            bot = ConversationBot(database)
            return [
                await bot.say(f"+3368{n:08d}", json.loads(line)["text"])
                for n, line in enumerate(lines)
                if line.strip()
            ]
        finally:
            await database.close()


def row(label: str, costs: list[tuple[bool, int]]) -> str:
    """One line: count, share of GSM-7, median, max and total segments."""
    gsm7 = sum(ok for ok, _ in costs) / len(costs)
    segments = [n for _, n in costs]
    return (
        f"{label:<28} {len(costs):>6} {gsm7:>7.1%} {median(segments):>7g} {max(segments):>5} "
        f"{sum(segments):>7}"
    )


async def table() -> list[str]:
    """The table's lines: content answers, dev replies, dev turns."""
    answers = await every_answer(load_content(CONTENT_DIR))
    turns = await dev_turns()
    return [
        f"{'SMS cost':<28} {'count':>6} {'GSM-7':>7} {'median':>7} {'max':>5} {'total':>7}",
        row("every answer of the content", [cost([r]) for r in answers]),
        row("dev.jsonl, per reply", [cost([r]) for replies in turns for r in replies]),
        row("dev.jsonl, per turn", [cost(replies) for replies in turns]),
        "(segments; targets: 100 % GSM-7, median ≤ 2, max ≤ 4 per answer)",
    ]


def main() -> None:
    """Print the table."""
    print("\n".join(asyncio.run(table())))


if __name__ == "__main__":
    main()
