"""What a handler receives (`Turn`) and returns (`Outcome`). Handlers know no channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.messages import Location, Reply
from bot.understanding import Understood

if TYPE_CHECKING:
    from bot.content import Content


@dataclass(frozen=True)
class Handoff:
    """A request to pass the conversation to a human mediator."""

    reason: str  # asked_for_human | not_understood | no_answer | emergency | unknown_residence
    topic: str | None = None
    quartier: str | None = None
    summary: str = ""
    urgency: str | None = None  # the kind of distress: the group sees the ticket as urgent
    ask_about: bool = False  # the request says nothing of its subject: ask for it


@dataclass(frozen=True)
class KnownPlace:
    """A point the resident gave (a place of the gazetteer or a shared location)."""

    name: str
    latitude: float
    longitude: float
    entry_id: str | None = None


@dataclass(frozen=True)
class Turn:
    """One resident message, understood, with the state of the conversation."""

    text: str
    understood: Understood
    content: Content
    language: str
    now: datetime
    step: str | None = None  # this handler's pending step, when the dialogue continues
    slots: Mapping[str, Any] = field(default_factory=dict)
    location: Location | None = None
    retention_days: int = 180  # how long the service keeps conversations
    known_place: KnownPlace | None = None  # the place the resident gave earlier (a day at most)

    def say(self, key: str, **values: object) -> str:
        """A sentence of the content base in the resident's language."""
        return self.content.texts.say(key, self.language, **values)


@dataclass(frozen=True)
class Outcome:
    """A handler's answer: replies, what to remember, and effects for the engine."""

    replies: tuple[Reply, ...] = ()
    step: str | None = None  # next step of the same handler; None ends the dialogue
    slots: Mapping[str, Any] = field(default_factory=dict)
    expect: str | None = None  # "where" | "yes_no": how to read the next message
    handoff: Handoff | None = None
    privacy: str | None = None  # "stop" | "start" | "forget"
