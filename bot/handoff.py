"""Opening a hand-off: the ticket, the resident's confirmation, and the mediators' notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bot.content.hours import BREST_TZ
from bot.messages import Reply
from bot.models import Contact, Message, Ticket
from bot.repository import Repository
from bot.turn import Handoff

# Written without accents on purpose: one accented letter turns an SMS into UCS-2.
DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "fr": (
        "janvier", "fevrier", "mars", "avril", "mai", "juin",
        "juillet", "aout", "septembre", "octobre", "novembre", "decembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
RELATIVE = {"fr": ("aujourd'hui", "demain", "a"), "en": ("today", "tomorrow", "at")}


class Notifier(Protocol):
    """Tells mediators about tickets (e.g. posts in their Telegram group)."""

    async def ticket_opened(self, repo: Repository, ticket: Ticket, now: datetime) -> None: ...

    async def ticket_message(
        self, repo: Repository, ticket: Ticket, message: Message, now: datetime
    ) -> None: ...


async def open_handoff(
    repo: Repository, contact: Contact, message: Message, handoff: Handoff, now: datetime
) -> Ticket:
    """Open a ticket (or reuse the open one) and attach the message that caused it."""
    ticket = await repo.open_ticket_of(contact.id)
    if ticket is None:
        ticket = await repo.open_ticket(
            contact, handoff.reason, now, handoff.topic, handoff.quartier, handoff.summary
        )
    await repo.attach_to_ticket(message, ticket)
    return ticket


def handoff_reply(content: Any, language: str, now: datetime) -> Reply:
    """Tell the resident that a person will answer, and when (from the mediators' hours)."""
    texts, local = content.texts, now.astimezone(BREST_TZ)
    reopening = None if content.mediators.on_duty(local) else content.mediators.next_shift(local)
    if reopening is None:
        when = texts.say("handoff.soon", language)
    else:
        next_open = spoken_moment(reopening.astimezone(BREST_TZ), local, language)
        when = texts.say("handoff.later", language, next_open=next_open)
    return Reply(texts.say("handoff", language, when=when), key="handoff")


def spoken_moment(moment: datetime, now: datetime, language: str) -> str:
    """`demain a 9h00`, `lundi 28 decembre a 9h00` (or in English), for an SMS."""
    lang = language if language in DAYS else "fr"
    today, tomorrow, at = RELATIVE[lang]
    clock = f"{moment.hour}h{moment.minute:02d}" if lang == "fr" else f"{moment:%H:%M}"
    days = (moment.date() - now.date()).days
    if days in (0, 1):
        return f"{(today, tomorrow)[days]} {at} {clock}"
    day, month = DAYS[lang][moment.weekday()], MONTHS[lang][moment.month - 1]
    return f"{day} {moment.day} {month} {at} {clock}"
