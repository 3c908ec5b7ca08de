"""STOP, START and erasure requests; questions about our use of personal data."""

from __future__ import annotations

from bot.messages import Reply
from bot.turn import Outcome, Turn

NAME = "privacy"
INTENTS = frozenset({"privacy"})


async def handle(turn: Turn) -> Outcome:
    action = turn.understood.privacy_action
    key = f"privacy.{action}" if action else "privacy.info"
    return Outcome(replies=(Reply(turn.say(key), key=key),), privacy=action)
