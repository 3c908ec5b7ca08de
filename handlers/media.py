"""A message with only a voice note, a photo, a document or a sticker: say what the bot
reads, and how to reach a person who can look at it. (While a ticket is open, the engine
passes it to the mediators instead, with a link to the file.)"""

from __future__ import annotations

from bot.messages import Choice, Reply
from bot.turn import Outcome, Turn

NAME = "media"


async def handle(turn: Turn) -> Outcome:
    choice = Choice(turn.say("menu.talk_to_human"), "talk_to_human")
    return Outcome(
        (Reply(turn.say("media.unreadable"), choices=(choice,), key="media.unreadable"),)
    )
