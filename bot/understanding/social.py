"""Social talk: what a message that asks for nothing says (thanks, hello, bye, "a robot?")."""

from __future__ import annotations

from bot.understanding.intents import Signals


def social_of(s: Signals) -> str | None:
    """ "bot_question", "thanks", "bye" or "hello" for a greeting message; None otherwise."""
    if s.has("identity"):
        return "bot_question"
    if s.has("about_service", "help"):  # "what can you do?" asks for the menu: not just talk
        return None
    if s.has("thanks", "okay", "done"):
        return "thanks"
    if s.has("bye"):
        return "bye"
    if s.has("greeting"):
        return "hello"
    return None
