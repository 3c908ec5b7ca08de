"""What a conversation remembers across dialogues: the last place the resident gave.

A neighbourhood, street or shared location said once serves the next questions of any
kind; it is forgotten after a day, and a new place replaces it (a correction).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.store.models import Conversation
from bot.turn import KnownPlace

KEPT_FOR = timedelta(days=1)


def recall(memory: dict[str, Any] | None, now: datetime) -> KnownPlace | None:
    """The remembered place, unless it is older than a day."""
    place = (memory or {}).get("place")
    if not place:
        return None
    at = datetime.fromisoformat(place["at"])
    if now - at > KEPT_FOR:
        return None
    return KnownPlace(place["name"], place["lat"], place["lon"], place.get("id"))


def remember(memory: dict[str, Any] | None, place: KnownPlace, now: datetime) -> dict[str, Any]:
    """The memory with `place` as the resident's place from now on."""
    saved = {
        "name": place.name,
        "lat": place.latitude,
        "lon": place.longitude,
        "at": now.isoformat(),
    }
    if place.entry_id:
        saved["id"] = place.entry_id
    return {**(memory or {}), "place": saved}


def forget_dialogue(conversation: Conversation) -> None:
    """Drop a stale dialogue: its step, its slots (a place among them) and its last menu."""
    conversation.step, conversation.slots, conversation.menu = None, {}, {}
