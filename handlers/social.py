"""Thanks, goodbyes and "are you a robot?": short, true answers, never the whole menu."""

from __future__ import annotations

from bot.messages import Reply
from bot.turn import Outcome, Turn

NAME = "social"
KINDS = frozenset({"thanks", "bye", "bot_question"})


async def handle(turn: Turn) -> Outcome:
    key = f"social.{turn.understood.social}"
    return Outcome((Reply(turn.say(key), key=key),))
