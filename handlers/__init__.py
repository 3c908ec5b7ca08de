"""The handlers, in order: the first whose INTENTS holds an intent answers it.

A handler is a module with `NAME`, `INTENTS` and `async def handle(turn) -> Outcome`;
optionally `follows_up(text, step, content) -> bool` for replies only its dialogue
understands, and `continues(understood, step) -> bool` for intents that stay in it
("plus" after a list of places), which the engine then routes back to it.
The fallback, last, hands to a mediator every intent no other handler answers.
"""

from __future__ import annotations

from types import ModuleType

from bot.content.language import INTENTS as ALL_INTENTS
from handlers import (
    clarify,
    emergency,
    fallback,
    find_mediator,
    find_place,
    housing_internet,
    media,
    menu,
    out_of_scope,
    privacy,
    scam,
    social,
)

HANDLERS: tuple[ModuleType, ...] = (
    menu,
    privacy,
    emergency,
    find_place,
    housing_internet,
    find_mediator,
    out_of_scope,
    scam,
    social,
    media,
    clarify,
    fallback,
)
EMERGENCY = emergency
CLARIFY = clarify
SCAM = scam
MEDIA = media
SOCIAL = social
INTENTS = frozenset(ALL_INTENTS)


def for_intent(intent: str) -> ModuleType:
    """The handler that answers an intent."""
    return next((h for h in HANDLERS if intent in h.INTENTS), fallback)


def by_name(name: str) -> ModuleType:
    """The handler that owns a dialogue step `name:step` (the fallback if it is gone)."""
    return next((h for h in HANDLERS if name == h.NAME), fallback)
