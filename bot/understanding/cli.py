"""`aiguillage understand` and `aiguillage eval FILE.jsonl`: the understanding from a shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.content.language import INTENTS
from bot.understanding.evaluation import Scores, score
from bot.understanding.understander import Understander

SHORT_NAMES = {"find_place": "place", "housing_internet": "housing", "find_mediator": "mediator",
               "talk_to_human": "human", "greeting": "greet", "privacy": "privacy",
               "out_of_scope": "oos"}  # fmt: skip


def add_understanding_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `understand` and `eval FILE.jsonl` on the main parser."""
    understand = subparsers.add_parser(
        "understand", help="read messages on stdin (lines or JSONL with `text`), print JSON"
    )
    understand.set_defaults(func=run_understand)
    evaluate = subparsers.add_parser("eval", help="score a labelled JSONL file")
    evaluate.add_argument("file", type=Path)
    evaluate.set_defaults(func=run_eval)


def load_understander() -> Understander:
    """Build the understanding from the content base in $CONTENT_DIR (default ./content)."""
    from bot.content import load_content

    return Understander.from_content(load_content(Path(os.environ.get("CONTENT_DIR", "content"))))


def predict(understander: Understander, text: str) -> dict:
    """The JSON object printed for one message."""
    result = understander.understand(text)
    return {
        "text": text,
        "intent": result.intent,
        "topic": result.topic,
        "near": result.near.text if result.near else None,
        "service": result.service,
        "open_now": result.open_now,
        "confidence": result.confidence,
    }


def _texts(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        line = line.rstrip("\n")
        if line.lstrip().startswith("{"):
            try:
                yield str(json.loads(line)["text"])
                continue
            except (ValueError, KeyError, TypeError):
                pass
        if line.strip():
            yield line


def run_understand(args: argparse.Namespace) -> int:
    """One JSON object per message read on stdin."""
    understander = load_understander()
    for text in _texts(sys.stdin):
        print(json.dumps(predict(understander, text), ensure_ascii=False), flush=True)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """Print the figures, the confusion matrix and the errors; 1 if the file is unreadable."""
    try:
        gold = [json.loads(line) for line in args.file.read_text("utf-8").splitlines() if line]
    except (OSError, ValueError) as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return 1
    understander = load_understander()
    scores = score((predict(understander, case["text"]), case) for case in gold)
    print(report(scores))
    return 0


def report(scores: Scores) -> str:
    """The evaluation as text: figures, confusion matrix (gold rows), then each error."""
    lines = [
        f"messages        {scores.total}",
        f"intent accuracy {scores.rate('intent'):.3f}",
        f"intent macro-F1 {scores.macro_f1():.3f}",
        *(f"{slot:<15} {scores.rate(slot):.3f}  (n={scores.slot_seen[slot]})"
          for slot in ("topic", "near", "service", "open_now")),
        f"fully correct   {scores.rate('fully_correct'):.3f}",
        "",
        "confusion (rows: gold, columns: predicted)",
        " " * 9 + "".join(f"{SHORT_NAMES[i]:>9}" for i in INTENTS),
    ]  # fmt: skip
    for gold in INTENTS:
        row = "".join(f"{scores.confusion[gold, p]:>9}" for p in INTENTS)
        lines.append(f"{SHORT_NAMES[gold]:<9}{row}")
    lines += ["", f"errors ({len(scores.errors)})"]
    for error in scores.errors:
        gold, got = error["gold"], error["got"]
        diff = ", ".join(f"{k}: {gold.get(k)!r} -> {got.get(k)!r}" for k in error["wrong"])
        lines.append(f"{error['id']}: {diff} | {gold['text']}")
    return "\n".join(lines)
