"""Greeting, help and "menu": the numbered menu of what the bot can do."""

from __future__ import annotations

from bot.messages import Choice, Reply
from bot.turn import Outcome, Turn

NAME = "menu"
CHOICES = ("find_place", "housing_internet", "find_mediator", "talk_to_human")


def menu_reply(turn: Turn, intro_key: str = "menu.intro", **values: object) -> Reply:
    """The menu, introduced by the sentence `intro_key`."""
    choices = tuple(Choice(turn.say(f"menu.{value}"), value) for value in CHOICES)
    return Reply(turn.say(intro_key, **values), choices=choices, key=intro_key)


async def handle(turn: Turn) -> Outcome:
    return Outcome(replies=(menu_reply(turn),))
