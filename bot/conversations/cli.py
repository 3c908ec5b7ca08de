"""`aiguillage eval-conversations FILE.jsonl`: play whole conversations and score them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.conversations.checks import Checker, TurnRecord
from bot.conversations.player import DEFAULT_START, Player, migrated_template
from bot.conversations.script import Conversation, ScriptError, load_conversations
from bot.rendering.plain import render_plain


@dataclass
class Report:
    """Scores of a conversation file, and the failing turns with what was received."""

    conversations: int = 0
    passed: int = 0
    turns: int = 0
    turns_passed: int = 0
    by_key: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[Conversation, int, list[str], TurnRecord]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.passed / self.conversations if self.conversations else 0.0

    def add(self, conversation: Conversation, records: list[TurnRecord], checker: Checker) -> None:
        self.conversations += 1
        failed_any = False
        for index, (step, record) in enumerate(zip(conversation.steps, records, strict=True), 1):
            self.turns += 1
            failed = checker.failures(record, step.expect)
            if failed:
                failed_any = True
                self.by_key.update(failed)
                self.failures.append((conversation, index, failed, record))
            else:
                self.turns_passed += 1
        self.passed += not failed_any


def add_conversation_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Register `eval-conversations FILE.jsonl` on the main parser."""
    command = subparsers.add_parser(
        "eval-conversations", help="play whole conversations through the gateway and score them"
    )
    command.add_argument("file", type=Path)
    command.add_argument("--show-failures", action="store_true", help="print failing turns")
    command.add_argument(
        "--at", type=datetime.fromisoformat, default=DEFAULT_START,
        help="when the conversations start (ISO 8601; default a Wednesday at 10:00 in Brest)",
    )  # fmt: skip
    command.add_argument("--only", action="append", help="play only this conversation id")
    command.add_argument(
        "--min", type=float, default=0.0, help="exit 1 when fewer conversations pass (0-1)"
    )
    command.set_defaults(func=run_eval_conversations)


def run_eval_conversations(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.logs import setup_logging

    settings = load_settings()
    setup_logging("WARNING")
    try:
        conversations = load_conversations(args.file)
        if args.only:
            conversations = [c for c in conversations if c.id in args.only]
    except ScriptError as error:
        print(error, file=sys.stderr)
        return 2
    report = asyncio.run(evaluate(settings, conversations, args.at))
    print_report(report, args.show_failures)
    return 0 if report.share >= args.min else 1


async def evaluate(
    settings: Settings, conversations: list[Conversation], start: datetime = DEFAULT_START
) -> Report:
    """Play every conversation on a fresh database and score it."""
    from bot.content import load_content

    content = load_content(settings.content_dir)
    checker = Checker.of(content)
    report = Report()
    async with migrated_template() as template:
        player = Player(settings, content, template)
        for conversation in conversations:
            report.add(conversation, await player.play(conversation, start), checker)
    return report


def print_report(report: Report, show_failures: bool = False) -> None:
    """The shares passed, the failures by key and, if asked, each failing turn."""
    print(
        f"conversations passed: {report.passed}/{report.conversations} ({report.share:.1%})\n"
        f"turns passed: {report.turns_passed}/{report.turns} "
        f"({report.turns_passed / max(report.turns, 1):.1%})"
    )
    if report.by_key:
        print("failures by key: " + ", ".join(f"{k} {n}" for k, n in report.by_key.most_common()))
    if not show_failures:
        return
    for conversation, index, failed, record in report.failures:
        step = conversation.steps[index - 1]
        print(f"\n{conversation.id} turn {index} ({conversation.channel}): {', '.join(failed)}")
        print(f"  {step.action}: {step.value}")
        print(f"  expect: {step.expect}")
        for reply in record.replies:
            print("  bot> " + render_plain(reply).replace("\n", "\n       "))
        for post in record.group_posts:
            print("  group> " + post.replace("\n", "\n         ")[:400])
