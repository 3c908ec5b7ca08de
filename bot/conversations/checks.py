"""The expectations of one turn, checked exactly as the conversation README defines them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.content.stops import is_stop
from bot.content.texts import folded
from bot.messages import Reply
from bot.rendering.gsm import segment_count, to_gsm7
from bot.rendering.plain import render_plain

if TYPE_CHECKING:
    from bot.content import Content

MARGIN_KM = 1.0
SERVICE_MARGIN_KM = 2.5
# Twilio answers these itself and blocks the number until START: no reply of ours is due.
TWILIO_OPT_OUT = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)


def mentions(haystack: str, needle: str) -> bool:
    """Whether the folded `needle` appears in the folded `haystack` (the README's "appears":
    "effac" is in "effacés", as "32 30" is in "appelez le 32-30")."""
    needle = folded(needle)
    return bool(needle) and needle in haystack


@dataclass(frozen=True)
class PlacePoint:
    folded_name: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class TurnRecord:
    """What one turn produced: the resident's replies and the mediators' group posts."""

    channel: str
    action: str
    said: Any
    replies: tuple[Reply, ...]
    group_posts: tuple[str, ...]

    @property
    def text(self) -> str:
        return folded("\n".join(render_plain(r) for r in self.replies))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def first_place(text: str, places: Sequence[PlacePoint]) -> PlacePoint | None:
    """The place of the content base named first in `text` (the longest name at a tie)."""
    padded, found = f" {text} ", []
    for place in places:
        at = padded.find(f" {place.folded_name} ")
        if at >= 0 and place.folded_name:
            found.append((at, -len(place.folded_name), place))
    return min(found, key=lambda f: f[:2])[2] if found else None


class Checker:
    """Judges turns against the places of one content base (`Checker.of(content)`)."""

    @classmethod
    def of(cls, content: Content) -> Checker:
        """The places of content/lieux.csv by name; an itinerant place's stops are not rows
        of that file and do not count."""
        return cls(
            [
                PlacePoint(folded(p.nom), p.latitude, p.longitude)
                for p in content.places
                if not is_stop(p)
            ]  # fmt: skip
        )

    def __init__(self, places: Sequence[PlacePoint]) -> None:
        self.places = [p for p in places if p.folded_name]
        self.located = [
            (p.latitude, p.longitude)
            for p in self.places
            if p.latitude is not None and p.longitude is not None
        ]
        self.rules: dict[str, Callable[[TurnRecord, Any, dict[str, Any]], bool]] = {
            "reply": lambda r, want, _: bool(r.replies) == want,
            "handoff": lambda r, want, _: bool(r.group_posts) == want,
            "heard": lambda r, want, _: bool(r.replies or r.group_posts) == want,
            "places_near": self._near,
            "no_places": lambda r, want, _: (first_place(r.text, self.places) is None) == want,
            "mentions_any": lambda r, words, _: any(mentions(r.text, w) for w in words),
            "mentions_all": lambda r, words, _: all(mentions(r.text, w) for w in words),
            "mentions_none": lambda r, words, _: not any(mentions(r.text, w) for w in words),
            "asks": lambda r, want, _: _asks(r.replies) == want,
            "max_segments": lambda r, most, _: r.channel != "sms" or _segments(r.replies) <= most,
            "resident_gets": lambda r, want, _: _gets(r) == want,
            "service": lambda r, want, _: True,  # only widens the places_near margin
        }

    def failures(self, record: TurnRecord, expect: dict[str, Any]) -> list[str]:
        """The keys of `expect` that do not hold, with the implicit `reply` first."""
        wanted = dict(expect)
        if "reply" not in wanted and not _reply_waived(record, expect):
            wanted = {"reply": True, **wanted}
        return [key for key, value in wanted.items() if not self.rules[key](record, value, expect)]

    def _near(self, record: TurnRecord, point: tuple[float, float], expect: dict[str, Any]) -> bool:
        """The first place named is within the nearest located place's distance plus a margin."""
        place = first_place(record.text, self.places)
        if place is None or place.latitude is None or place.longitude is None:
            return False
        margin = SERVICE_MARGIN_KM if "service" in expect else MARGIN_KM
        nearest = min(distance_km(point, located) for located in self.located)
        return distance_km(point, (place.latitude, place.longitude)) <= nearest + margin


def _gets(record: TurnRecord) -> bool:
    """After a mediator's reply, the resident received the mediator's words."""
    return record.action == "mediator_reply" and mentions(record.text, record.said)


def _reply_waived(record: TurnRecord, expect: dict[str, Any]) -> bool:
    """Twilio answers its own opt-out keywords on SMS; a turn checking `heard` needs no reply."""
    said = folded(record.said) if isinstance(record.said, str) else ""
    return (record.channel == "sms" and said in TWILIO_OPT_OUT) or "heard" in expect


NUMBERED = re.compile(r"^\s*1[.)] ", re.MULTILINE)  # "1. Trouver un lieu", as SMS shows choices


def _asks(replies: Sequence[Reply]) -> bool:
    """A question mark, or numbered choices (buttons, or numbered lines in an SMS body)."""
    return any("?" in r.text or r.choices or NUMBERED.search(r.text) for r in replies)


def _segments(replies: Sequence[Reply]) -> int:
    return max((segment_count(to_gsm7(render_plain(r))) for r in replies), default=0)
