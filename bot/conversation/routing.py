"""Which handler answers a message, as an ordered list of small routes: the first that
picks a handler wins. Safety comes first; the intent table (handlers.ROUTES) comes last.

May import: handlers, bot.intents, the understanding, messages. Not the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import handlers
from bot.intents import NEW_REQUESTS, PLACE_DIALOGUES, Intent
from bot.messages import Location
from bot.understanding import CLARIFY_BELOW, Understood

SURE = 0.9  # a new request this sure (or with its own topic or service) ends a dialogue


@dataclass(frozen=True)
class Situation:
    """What routing looks at: the message as understood, and the dialogue on screen."""

    understood: Understood
    text: str
    dialogue: str | None  # conversation.step: "handler:step" of a pending dialogue
    expect: str | None  # what the last reply asked for ("where", "yes_no", ...)
    location: Location | None
    media_only: bool  # a voice note, a photo without caption: nothing the bot can read
    content: Any

    @property
    def owner(self) -> str:
        return (self.dialogue or "").partition(":")[0]

    @property
    def step(self) -> str:
        return (self.dialogue or "").partition(":")[2]


@dataclass(frozen=True)
class Routed:
    handler: handlers.Handler
    step: str | None = None


Route = Callable[[Situation], Routed | None]


def media(s: Situation) -> Routed | None:
    """A voice note, a photo: say what we read."""
    return Routed(handlers.MEDIA) if s.media_only else None


def privacy(s: Situation) -> Routed | None:
    """STOP, START, OUBLIE and the rest of the privacy words, whatever the dialogue."""
    return Routed(handlers.route(Intent.PRIVACY)) if s.understood.privacy_action else None


def emergency(s: Situation) -> Routed | None:
    return Routed(handlers.EMERGENCY) if s.understood.emergency else None


def scam(s: Situation) -> Routed | None:
    """After the warning, more about the same message is its follow-up."""
    if not s.understood.scam:
        return None
    return Routed(handlers.SCAM, s.step if s.owner == handlers.SCAM.NAME else None)


def menu_choice(s: Situation) -> Routed | None:
    """A pressed button naming an intent (Telegram's menu, /start)."""
    choice = s.understood.menu_choice
    return Routed(handlers.route(choice)) if choice in handlers.INTENTS else None


def dialogue(s: Situation) -> Routed | None:
    """The pending dialogue's next step, when the message answers it."""
    owner = handlers.by_name(s.owner)
    where = s.expect == "where"
    if s.owner and continues(s.understood, s.location, owner, s.text, s.step, s.content, where):
        return Routed(owner, s.step)
    return None


def location(s: Situation) -> Routed | None:
    return Routed(handlers.route(Intent.FIND_PLACE)) if s.location is not None else None


def social(s: Situation) -> Routed | None:
    """Thanks, bye, a question about the bot."""
    return Routed(handlers.SOCIAL) if s.understood.social in handlers.SOCIAL.KINDS else None


def clarify(s: Situation) -> Routed | None:
    return Routed(handlers.CLARIFY) if s.understood.confidence < CLARIFY_BELOW else None


def intent(s: Situation) -> Routed | None:
    return Routed(handlers.route(s.understood.intent))


ROUTES: tuple[Route, ...] = (
    media, privacy, emergency, scam, menu_choice, dialogue, location, social, clarify, intent,
)  # fmt: skip


def route(situation: Situation) -> Routed:
    """The handler (and its pending step) for this message."""
    for candidate in ROUTES:
        routed = candidate(situation)
        if routed is not None:
            return routed
    raise AssertionError("the intent route always answers")


def continues(
    understood: Understood,
    location: Location | None,
    owner: Any,
    text: str,
    step: str = "",
    content: Any = None,
    where: bool = False,
) -> bool:
    """Does this message answer the pending step rather than start something new?

    An answer, a pick, a location, a follow-up only this dialogue gives a meaning to
    ("plus", "c'est gratuit ?"), a place said in a dialogue about places ("j'habite à
    Kérédern") or an unclear message goes to the pending step; a sure new request (another
    intent, or one with its own topic or service) starts afresh, even when it names a place.
    """
    if understood.answer or understood.menu_choice or location:
        return True
    if hasattr(owner, "continues") and owner.continues(understood, step):
        return True
    own = handlers.intents_of(owner)
    other = understood.intent in NEW_REQUESTS and understood.intent not in own
    subject = bool(understood.topic or understood.service)  # a request of its own
    if where and understood.near is not None and not (other and subject):
        return True  # "j'habite à Kérédern" answers "which neighbourhood?"
    if other and (subject or understood.confidence >= SURE):
        return False
    if hasattr(owner, "follows_up") and owner.follows_up(text, step, content):
        return True
    if understood.near is not None and owner.NAME in PLACE_DIALOGUES:
        return True
    if understood.intent in own or understood.confidence < CLARIFY_BELOW:
        return True
    return understood.near is not None and understood.intent not in NEW_REQUESTS
