"""Low confidence: ask once with the menu, then hand to a mediator — never a dead end."""

from __future__ import annotations

from bot.turn import Handoff, Outcome, Turn
from handlers.menu import menu_reply

NAME = "clarify"


async def handle(turn: Turn) -> Outcome:
    if turn.step == "asked":
        return Outcome(handoff=Handoff("not_understood", summary=turn.text))
    return Outcome(replies=(menu_reply(turn, "clarify"),), step="asked")
