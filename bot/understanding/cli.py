"""`aiguillage understand` and `aiguillage eval FILE.jsonl`: the understanding from a shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.content.language import INTENTS
from bot.understanding.evaluation import Scores, score
from bot.understanding.understander import MODES, Understander

DATA = Path("tests/data")  # the labelled sets, from the repository root

SHORT_NAMES = {"find_place": "place", "housing_internet": "housing", "find_mediator": "mediator",
               "talk_to_human": "human", "greeting": "greet", "privacy": "privacy",
               "out_of_scope": "oos"}  # fmt: skip


def add_understanding_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Register `understand` and `eval FILE.jsonl` on the main parser."""
    understand = subparsers.add_parser(
        "understand", help="read messages on stdin (lines or JSONL with `text`), print JSON"
    )
    understand.set_defaults(func=run_understand)
    evaluate = subparsers.add_parser(
        "eval", help="score labelled JSONL files: rules, model and both (default: tests/data)"
    )
    evaluate.add_argument("files", type=Path, nargs="*")
    evaluate.set_defaults(func=run_eval)
    understanding = subparsers.add_parser("understanding", help="the understanding's model")
    actions = understanding.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train the second opinion (writes its model file)")
    train.add_argument("--data", type=Path, default=Path("tests/data"), help="labelled sets")
    train.add_argument("--out", type=Path, default=None, help="model file to write")
    train.set_defaults(func=run_train)


def load_understander() -> Understander:
    """Build the understanding from the content base in $CONTENT_DIR (default ./content)."""
    from bot.content import load_content

    return Understander.from_content(load_content(Path(os.environ.get("CONTENT_DIR", "content"))))


def predict(understander: Understander, text: str, mode: str = "both") -> dict[str, object]:
    """The JSON object printed for one message."""
    result = understander.understand(text, mode=mode)
    return {
        "text": text,
        "intent": result.intent,
        "topic": result.topic,
        "near": result.near.text if result.near else None,
        "service": result.service,
        "open_now": result.open_now,
        "confidence": result.confidence,
        "emergency": result.emergency,
        "scam": result.scam,
        "social": result.social,
        "language": result.language,
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
    """The three-way table (rules / model / both) for each file; for one file, the details
    of "both": figures, confusion matrix and errors. 1 if a file is unreadable."""
    files = args.files or sorted(DATA.glob("*.jsonl"))
    sets = {}
    for path in files:
        try:
            sets[path] = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        except (OSError, ValueError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 1
        if not args.files and not all("intent" in case for case in sets[path]):
            del sets[path]  # emergencies.jsonl: the distress detector's set, without intents
    files = list(sets)
    understander = load_understander()
    table = {
        (path, mode): score((predict(understander, c["text"], mode), c) for c in gold)
        for path, gold in sets.items()
        for mode in MODES
    }
    if len(files) == 1:
        print(report(table[files[0], "both"]), end="\n\n")
    print(three_way(table, list(sets)))
    return 0


def three_way(table: Mapping[tuple[Path, str], Scores], paths: list[Path]) -> str:
    """Intent accuracy, macro-F1 and fully correct per set, for the rules, the model and both."""
    head = f"{'set':<16}{'n':>5}" + "".join(
        f"  {m + ' intent':>13}{'F1':>6}{'full':>6}" for m in MODES
    )
    lines = [head]
    for path in paths:
        row = f"{path.name:<16}{table[path, MODES[0]].total:>5}"
        for mode in MODES:
            s = table[path, mode]
            row += f"  {s.rate('intent'):>13.3f}{s.macro_f1():>6.3f}{s.rate('fully_correct'):>6.3f}"
        lines.append(row)
    return "\n".join(lines)


def run_train(args: argparse.Namespace) -> int:
    """Train the statistical second opinion from the labelled sets and the content."""
    from bot.content import load_content
    from bot.understanding import classifier, training

    content = load_content(Path(os.environ.get("CONTENT_DIR", "content")))
    understander = Understander.from_content(content)
    out = args.out or classifier.MODEL_FILE
    done = training.build(args.data, content.language, understander.words_for_model, out)
    print(f"{out}: {done['messages']} messages, {done['features']} features, {done['bytes']} bytes")
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
        expected, got = error["gold"], error["got"]
        diff = ", ".join(f"{k}: {expected.get(k)!r} -> {got.get(k)!r}" for k in error["wrong"])
        lines.append(f"{error['id']}: {diff} | {expected['text']}")
    return "\n".join(lines)
