"""Distress (a medical emergency, violence, suicidal thoughts, a child in danger, an eviction,
nowhere to sleep): the right numbers first, then an urgent hand-off. Never a menu."""

from __future__ import annotations

from bot.messages import Reply
from bot.turn import Handoff, Outcome, Turn

NAME = "emergency"
DEFAULT = "medical"  # an emergency of no known kind is answered as a medical one


async def handle(turn: Turn) -> Outcome:
    kind = situation(turn)
    lines = [f"{line.name} : {line.number}" for line in turn.content.emergencies[kind].lines]
    text = "\n".join([turn.say(f"emergency.{kind}"), *lines])
    handoff = Handoff("emergency", summary=turn.text, urgency=kind)
    return Outcome(replies=(Reply(text, key=f"emergency.{kind}"),), handoff=handoff)


def situation(turn: Turn) -> str:
    """The kind of distress the understanding found (older understandings say only True)."""
    kind = turn.understood.emergency
    return kind if isinstance(kind, str) and kind in turn.content.emergencies else DEFAULT
