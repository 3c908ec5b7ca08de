"""Opening a hand-off: the ticket, the resident's confirmation, and the mediators' notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bot.messages import Reply
from bot.models import Contact, Message, Ticket
from bot.repository import Repository
from bot.spoken import local, spoken_moment
from bot.turn import Handoff


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
    texts, here = content.texts, local(now)
    reopening = None if content.mediators.on_duty(here) else content.mediators.next_shift(here)
    if reopening is None:
        when = texts.say("handoff.soon", language)
    else:
        next_open = spoken_moment(texts, language, reopening, here)
        when = texts.say("handoff.later", language, next_open=next_open)
    return Reply(texts.say("handoff", language, when=when), key="handoff")
