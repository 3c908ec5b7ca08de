"""The handlers, and the table routing each intent to its handler (declared here only).

A handler is a module that fits `Handler`: `NAME` and `async def handle(turn) -> Outcome`;
optionally `follows_up(text, step, content) -> bool` (`FollowsUp`) for replies only its
dialogue understands, and `continues(understood, step) -> bool` (`Continues`) for intents
that stay in it
("plus" after a list of places), which the engine then routes back to it.
The fallback hands to a mediator every intent no other handler answers. The handlers
without intents are reached by bot.conversation.routing's own routes (emergency, scam, media...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

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

if TYPE_CHECKING:
    from bot.content import Content
    from bot.turn import Outcome, Turn
    from bot.understanding import Understood


class Handler(Protocol):
    """A module of handlers/: its name and its answer to a turn (ROUTES gives its intents)."""

    NAME: str  # also the prefix of its dialogue steps, "name:step"

    async def handle(self, turn: Turn) -> Outcome:
        """Answer one message; side effects are returned as data in the Outcome."""
        ...


class FollowsUp(Protocol):
    """A handler whose dialogue gives a meaning to replies the understanding cannot read."""

    def follows_up(self, text: str, step: str, content: Content) -> bool:
        """Does `text` continue the pending `step` of this dialogue?"""
        ...


class Continues(Protocol):
    """A handler whose dialogue keeps some intents ("plus" after a list of places)."""

    def continues(self, understood: Understood, step: str) -> bool:
        """Does this understood message stay in the pending `step`?"""
        ...


HANDLERS: tuple[Handler, ...] = (
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
ROUTES: Mapping[Intent, Handler] = {
    Intent.GREETING: menu,
    Intent.PRIVACY: privacy,
    Intent.FIND_PLACE: find_place,
    Intent.HOUSING_INTERNET: housing_internet,
    Intent.FIND_MEDIATOR: find_mediator,
    Intent.OUT_OF_SCOPE: out_of_scope,
    Intent.TALK_TO_HUMAN: fallback,
}


def route(intent: str | None) -> Handler:
    """The handler that answers an intent (the fallback, a mediator, for any other)."""
    return next((h for i, h in ROUTES.items() if i == intent), fallback)


def intents_of(handler: Handler) -> frozenset[Intent]:
    """The intents a handler answers (a dialogue keeps a message of these)."""
    return frozenset(i for i, h in ROUTES.items() if h is handler)


def by_name(name: str) -> Handler:
    """The handler that owns a dialogue step `name:step` (the fallback if it is gone)."""
    return next((h for h in HANDLERS if name == h.NAME), fallback)
