"""How tickets and transcripts read for mediators, in the inbox and in the Telegram group."""

from __future__ import annotations

from datetime import datetime
from typing import NotRequired, TypedDict

from bot.content.hours import BREST_TZ
from bot.mediation.tickets import ANSWER_KEY
from bot.store.models import Message
from bot.store.repository import NOTE_MARK


class MediaLink(TypedDict):
    """A resident's attachment, opened through the inbox's authenticated media route."""

    kind: str
    url: str


class TranscriptLine(TypedDict):
    """One message of a ticket's transcript, as JSON for the inbox and text for the group."""

    id: int
    who: str
    kind: str  # in | answer | bot
    at: str
    text: str
    media: NotRequired[list[MediaLink]]


STATUSES = {"open": "ouvert", "taken": "pris en charge", "closed": "clos"}
REASONS = {
    "asked_for_human": "a demandé une personne",
    "not_understood": "pas compris deux fois",
    "no_answer": "pas de réponse du bot",
    "emergency": "urgence",
    "unknown_residence": "résidence inconnue",
}


def local_time(moment: datetime) -> str:
    """`25/11 10:00` in Brest time."""
    return f"{moment.astimezone(BREST_TZ):%d/%m %H:%M}"


def message_json(message: Message) -> TranscriptLine:
    """A transcript line as the page and its polling script show it."""
    payload = message.payload or {}
    if message.direction == "in":
        who, kind = "Habitant", "in"
    elif payload.get("key") == NOTE_MARK:
        who, kind = "⚠ Note", "note"
    elif payload.get("key") == ANSWER_KEY:
        who, kind = f"Médiation ({payload.get('mediator', '')})", "answer"
    else:
        who, kind = "Bot", "bot"
    line: TranscriptLine = {
        "id": message.id,
        "who": who,
        "kind": kind,
        "at": local_time(message.created_at),
        "text": payload.get("answer", message.text) if kind == "answer" else message.text,
    }
    if payload.get("media"):  # links to the inbox's authenticated media route
        line["media"] = [
            {"kind": MEDIA_NAMES.get(k, k), "url": f"/inbox/media/{message.id}/{n}"}
            for n, k in enumerate(payload["media"])
        ]
    return line


MEDIA_NAMES = {
    "voice": "note vocale",
    "audio": "son",
    "document": "document",
    "photo": "photo",
    "sticker": "autocollant",
    "video": "vidéo",
    "contact": "contact partagé",
}
