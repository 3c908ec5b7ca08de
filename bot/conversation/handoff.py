"""A hand-off seen from the resident's side: the ticket, what they are told, and when.

Opening (or reusing) a ticket, the confirmation with the mediators' next hours, the
acknowledgement of messages written while a mediator has the conversation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from opening_hours import State

from bot.mediation.tickets import Announcer
from bot.messages import Reply
from bot.spoken import aware, local, spoken_moment
from bot.store.models import Contact, Message, Ticket
from bot.store.repository import Repository
from bot.turn import Handoff

if TYPE_CHECKING:
    from bot.content import Content

ACK_AGAIN_AFTER = timedelta(hours=2)  # a resident still writing hours later is told again
ASKED_AGAIN_AFTER = timedelta(minutes=1)  # "allo ??" is always answered, a burst once


class Notifier(Announcer, Protocol):
    """Tells mediators about tickets (e.g. posts in their Telegram group), and announces
    actions on them (`post`, from `Announcer`)."""

    async def ticket_opened(self, repo: Repository, ticket: Ticket, now: datetime) -> None: ...

    async def ticket_message(
        self, repo: Repository, ticket: Ticket, message: Message, now: datetime
    ) -> None: ...


async def open_handoff(
    repo: Repository,
    contact: Contact,
    message: Message,
    handoff: Handoff,
    now: datetime,
    ticket: Ticket | None,
) -> Ticket:
    """Open a ticket (or reuse `ticket`, the open one) and attach the message that caused it."""
    if ticket is None:
        ticket = await repo.open_ticket(
            contact, handoff.reason, now, handoff.topic, handoff.quartier, handoff.summary
        )
    ticket.left_at = None  # asking again brings the resident back to the mediators
    ticket.last_activity_at = now
    ticket.urgency = handoff.urgency or ticket.urgency
    await repo.attach_to_ticket(message, ticket)
    return ticket


def handoff_reply(
    content: Content, language: str, now: datetime, handoff: Handoff | None = None
) -> Reply:
    """Tell the resident that a person will answer, and when (from the mediators' hours);
    ask what it is about when the request did not say."""
    texts = content.texts
    text = texts.say("handoff", language, when=answer_time(content, language, now))
    if handoff is not None and handoff.ask_about:
        text = f"{text} {texts.say('handoff.ask_about', language)}"
    return Reply(text, key="handoff")


def answer_time(content: Content, language: str, now: datetime) -> str:
    """'dans la journée', or when the mediators are next on duty."""
    texts, here = content.texts, local(now)
    reopening = None if content.mediators.on_duty(here) else content.mediators.next_shift(here)
    if reopening is None:
        return texts.say("handoff.soon", language)
    next_open = spoken_moment(texts, language, reopening, here)
    return texts.say("handoff.later", language, next_open=next_open)


def relay_reply(
    content: Content, language: str, ticket: Ticket, text: str, now: datetime
) -> Reply | None:
    """What a resident writing to an open ticket is told, if anything: the emergency numbers
    on an urgent ticket, else that the message was passed on (the first time, when they ask
    again, or hours later)."""
    if ticket.urgency:
        key = f"emergency.{ticket.urgency}.reminder"
        return Reply(content.texts.say(key, language), key=key)
    last = ticket.acknowledged_at
    asks = "?" in text or len(text.split()) <= 2
    due = (
        last is None
        or now - aware(last) >= ACK_AGAIN_AFTER
        or (asks and now - aware(last) >= ASKED_AGAIN_AFTER)
    )
    if not due:
        return None
    when = answer_time(content, language, now)
    return Reply(content.texts.say("ticket.relayed", language, when=when), key="ticket.relayed")


def promised_by(content: Content, opened: datetime) -> datetime:
    """When the answer promised at `opened` is late: the end of the mediators' working day
    on which it was promised ("dans la journée", or the day they reopen)."""
    hours = content.mediators
    start = opened if hours.on_duty(local(opened)) else hours.next_shift(local(opened))
    if start is None:
        return opened + timedelta(days=1)
    day = local(start).replace(hour=0, minute=0, second=0, microsecond=0)
    spans = hours.hours.intervals(day, day + timedelta(days=1))
    ends = [end for _, end, state, _ in spans if state == State.OPEN]
    return max(ends) if ends else start + timedelta(hours=8)
