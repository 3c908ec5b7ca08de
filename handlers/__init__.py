"""The handlers, in order: the first whose INTENTS holds an intent answers it.

A handler is a module that fits `Handler`: `NAME`, `INTENTS` and
`async def handle(turn) -> Outcome`; optionally `follows_up(text, step, content) -> bool`
(`FollowsUp`) for replies only its dialogue understands, and
`continues(understood, step) -> bool` (`Continues`) for intents that stay in it
("plus" after a list of places), which the engine then routes back to it.
The fallback, last, hands to a mediator every intent no other handler answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

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

if TYPE_CHECKING:
    from bot.content import Content
    from bot.turn import Outcome, Turn
    from bot.understanding import Understood


class Handler(Protocol):
    """A module of handlers/: its name, the intents it answers, and its answer to a turn."""

    NAME: str  # also the prefix of its dialogue steps, "name:step"
    INTENTS: frozenset[str]

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
INTENTS = frozenset(ALL_INTENTS)


def for_intent(intent: str) -> Handler:
    """The handler that answers an intent."""
    return next((h for h in HANDLERS if intent in h.INTENTS), fallback)


def by_name(name: str) -> Handler:
    """The handler that owns a dialogue step `name:step` (the fallback if it is gone)."""
    return next((h for h in HANDLERS if name == h.NAME), fallback)
