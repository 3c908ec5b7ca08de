"""Whatever no other handler answers goes to a human mediator."""

from __future__ import annotations

from bot.turn import Handoff, Outcome, Turn

NAME = "fallback"
BARE_WORDS = 8  # "je veux parler à quelqu'un svp": a request that says nothing of its subject


async def handle(turn: Turn) -> Outcome:
    understood = turn.understood
    asked = understood.intent == "talk_to_human" or understood.menu_choice == "talk_to_human"
    if understood.menu_choice == "talk_to_human":
        summary = turn.say("menu.talk_to_human")  # the menu's words, not "4"
    else:
        summary = turn.text
    bare = (
        asked
        and not understood.topic
        and (understood.menu_choice == "talk_to_human" or len(turn.text.split()) <= BARE_WORDS)
    )
    return Outcome(
        handoff=Handoff(
            "asked_for_human" if asked else "no_answer",
            topic=understood.topic,
            summary=summary,
            ask_about=bare,
        )
    )
