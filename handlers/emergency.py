"""A medical emergency: the emergency numbers first, then a person is told."""

from __future__ import annotations

from bot.messages import Reply
from bot.turn import Handoff, Outcome, Turn

NAME = "emergency"
INTENTS: frozenset[str] = frozenset()


async def handle(turn: Turn) -> Outcome:
    reply = Reply(turn.say("emergency"), key="emergency")
    return Outcome(replies=(reply,), handoff=Handoff("emergency", summary=turn.text))
