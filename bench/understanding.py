"""Messages per second of the understanding on one core, shipped content scaled x1, x10, x100,
for the rules alone, the statistical model alone, and both (the shipped behaviour)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_content  # noqa: E402
from bot.content.language import Language  # noqa: E402
from bot.content.model import GazetteerEntry  # noqa: E402
from bot.understanding import Understander  # noqa: E402
from bot.understanding.understander import MODES  # noqa: E402

SECONDS_PER_RUN = 3.0


def scaled(language: Language, gazetteer: list[GazetteerEntry], factor: int):
    """Copies of every phrasing and place with invented words, `factor` times in all."""
    if factor == 1:
        return language, gazetteer

    def more(table):
        return {
            key: tuple(
                p if n == 0 else f"{p} zq{n}x{i}" for n in range(factor) for i, p in enumerate(ps)
            )
            for key, ps in table.items()
        }

    bigger = replace(
        language,
        cues=more(language.cues),
        topics=more(language.topics),
        services=more(language.services),
        examples=more(language.examples),
    )
    places = list(gazetteer) + [
        replace(
            e,
            id=f"{e.id}-{n}",
            name=f"{e.name} Kervraz{n}",
            aliases=tuple(f"{a} vraz{n}" for a in e.aliases),
        )
        for n in range(1, factor)
        for e in gazetteer
    ]
    return bigger, places


def rate(understander: Understander, messages: list[str], mode: str = "both") -> float:
    """Messages understood per second of this process's CPU time, over about SECONDS_PER_RUN
    seconds: on a shared machine, other processes' turns on the core do not count."""
    for text in messages:
        understander.understand(text, mode=mode)  # warm the caches, as a running server has
    done, start = 0, time.process_time()
    while time.process_time() - start < SECONDS_PER_RUN:
        for text in messages:
            understander.understand(text, mode=mode)
        done += len(messages)
    return done / (time.process_time() - start)


def main() -> None:
    """Print the table: scale, phrasings, places, build time, messages per second."""
    content = load_content(ROOT / "content")
    messages = [
        json.loads(line)["text"]
        for name in ("dev.jsonl", "extra.jsonl")
        for line in (ROOT / "tests" / "data" / name).read_text("utf-8").splitlines()
    ]
    heads = "".join(f" {m + ' msg/s':>12}" for m in MODES)
    print(f"{'scale':>5} {'phrasings':>10} {'places':>7} {'build s':>8}{heads}")
    for factor in (1, 10, 100):
        language, gazetteer = scaled(content.language, list(content.gazetteer), factor)
        tables = (language.cues, language.topics, language.services, language.examples)
        phrasings = sum(len(v) for table in tables for v in table.values())
        start = time.perf_counter()
        understander = Understander(gazetteer, language)
        build = time.perf_counter() - start
        speeds = "".join(f" {rate(understander, messages, m):>12,.0f}" for m in MODES)
        scale = f"x{factor}"
        print(f"{scale:>5} {phrasings:>10} {len(gazetteer):>7} {build:>8.2f}{speeds}")


if __name__ == "__main__":
    main()
