"""Out of scope: what the bot can do, with the menu and its offer to reach a person."""

from __future__ import annotations

from bot.turn import Outcome, Turn
from handlers.menu import menu_reply

NAME = "out_of_scope"


async def handle(turn: Turn) -> Outcome:
    """Say what the bot can help with; choice 4 of the menu hands to a person."""
    return Outcome(replies=(menu_reply(turn, "out_of_scope.intro"),))
