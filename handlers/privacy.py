"""STOP, START and erasure requests; questions about our use of personal data."""

from __future__ import annotations

from bot.messages import Reply
from bot.turn import Outcome, Turn

NAME = "privacy"


async def handle(turn: Turn) -> Outcome:
    action = turn.understood.privacy_action
    if action:
        key, values = f"{action}.confirm", {}
    else:
        key, values = "privacy.info", {"days": turn.retention_days}
    return Outcome(replies=(Reply(turn.say(key, **values), key=key),), privacy=action)
