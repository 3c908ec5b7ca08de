"""The handlers, and the table routing each intent to its handler (declared here only).

A handler is a module with `NAME` and `async def handle(turn) -> Outcome`;
optionally `follows_up(text, step, content) -> bool` for replies only its dialogue
understands, and `continues(understood, step) -> bool` for intents that stay in it
("plus" after a list of places), which the engine then routes back to it.
The fallback hands to a mediator every intent no other handler answers. The handlers
without intents are reached by bot.conversation.routing's own routes (emergency, scam, media...).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from bot.intents import Intent
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
INTENTS = frozenset(Intent)

# Each intent's handler: the one place an intent is tied to the module answering it.
ROUTES: Mapping[Intent, ModuleType] = {
    Intent.GREETING: menu,
    Intent.PRIVACY: privacy,
    Intent.FIND_PLACE: find_place,
    Intent.HOUSING_INTERNET: housing_internet,
    Intent.FIND_MEDIATOR: find_mediator,
    Intent.OUT_OF_SCOPE: out_of_scope,
    Intent.TALK_TO_HUMAN: fallback,
}


def route(intent: str | None) -> ModuleType:
    """The handler that answers an intent (the fallback, a mediator, for any other)."""
    return next((h for i, h in ROUTES.items() if i == intent), fallback)


def intents_of(handler: ModuleType) -> frozenset[Intent]:
    """The intents a handler answers (a dialogue keeps a message of these)."""
    return frozenset(i for i, h in ROUTES.items() if h is handler)


def by_name(name: str) -> ModuleType:
    """The handler that owns a dialogue step `name:step` (the fallback if it is gone)."""
    return next((h for h in HANDLERS if name == h.NAME), fallback)
