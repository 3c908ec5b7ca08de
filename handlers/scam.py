"""A message about a suspicious SMS, call, e-mail or link: warn, never help the scam.

Steps: (start) -> "warned", where a next message ("trop tard, j'ai tout rempli") gets what
to do once codes were given. Both offer a person.
"""

from __future__ import annotations

from bot.messages import Choice, Reply
from bot.turn import Outcome, Turn
from bot.understanding import Understood

NAME = "scam"


async def handle(turn: Turn) -> Outcome:
    key = "scam.already" if turn.step == "warned" else "scam.warning"
    choice = Choice(turn.say("menu.talk_to_human"), "talk_to_human")
    reply = Reply(turn.say(key), choices=(choice,), key=key)
    return Outcome((reply,), step="warned")


ABOUT_THE_MESSAGE = frozenset({"find_mediator", "out_of_scope", "greeting"})


def follows_up(text: str, step: str, content: object = None) -> bool:
    """After a warning, what the resident says next is about the same message."""
    return step == "warned"


def continues(understood: Understood, step: str) -> bool:
    """ "mais c'est écrit CAF dessus": naming the body again is still about the message."""
    return step == "warned" and understood.intent in ABOUT_THE_MESSAGE
