"""Whatever no other handler answers goes to a human mediator."""

from __future__ import annotations

from bot.turn import Handoff, Outcome, Turn

NAME = "fallback"
INTENTS = frozenset({"talk_to_human"})


async def handle(turn: Turn) -> Outcome:
    reason = "asked_for_human" if turn.understood.intent == "talk_to_human" else "no_answer"
    return Outcome(handoff=Handoff(reason, topic=turn.understood.topic, summary=turn.text))
