"""What mediators do to a ticket, from the inbox or the Telegram group: the same rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from bot.channels.registry import mask_address
from bot.mediation.store import MediationRepository
from bot.messages import Reply
from bot.spoken import aware
from bot.store.models import FaqSuggestion, Mediator, Message, Ticket
from bot.store.repository import Repository

if TYPE_CHECKING:
    from bot.content import Content

ANSWER_KEY = "ticket.answer"
# What a mediator may write in one answer, from the inbox or the group (the inbox's
# textarea says the same): about seven SMS segments, a quarter of a Telegram message.
MAX_ANSWER = 1000
CLOSED_KEY = "ticket.closed"
TAKEN_KEY = "ticket.taken"
# What the mediators' group is told when an action is taken elsewhere (the web inbox), so
# colleagues on their phones see who took, answered or closed a ticket.
ANNOUNCEMENTS = {
    "take": "#{id} pris en charge par {by}.",
    "close": "#{id} clos par {by}; l'habitant est prévenu.",
    "answer": "#{id} Réponse de {by} (messagerie web): {text}",
}


class AnswerTooLong(ValueError):
    """A mediator's answer over MAX_ANSWER characters; nothing was sent."""

    def __init__(self, length: int) -> None:
        super().__init__(f"answer of {length} characters, {MAX_ANSWER} at most")
        self.length = length

    def told(self) -> str:
        """What the mediator reads."""
        return (
            f"Réponse trop longue ({self.length} caractères, {MAX_ANSWER} au plus) : "
            "elle n'a pas été envoyée. Raccourcissez-la ou envoyez-la en plusieurs fois."
        )


class Announcer(Protocol):
    """Where actions on tickets are announced: the group (`bot.mediation.group`)."""

    async def post(
        self,
        repo: Repository,
        text: str,
        now: datetime,
        ticket: Ticket | None = None,
        kind: str = "",
    ) -> None: ...


@dataclass(frozen=True)
class TicketCard:
    """What a mediator sees of a ticket: never the full address."""

    id: int
    status: str
    reason: str
    topic: str | None
    quartier: str | None
    channel: str
    masked_address: str
    summary: str
    assigned_to: str | None
    created_at: datetime
    first_reply_at: datetime | None
    waiting: bool  # unanswered for longer than the reminder delay
    for_mediators: tuple[str, ...]  # who covers its topic or neighbourhood
    urgency: str | None = None  # the kind of distress the resident told of
    left: bool = False  # the resident went back to the bot ("menu") since


def covers(mediator: Mediator, ticket: Ticket) -> bool:
    """Whether a mediator declared this ticket's topic or neighbourhood."""
    return bool(
        (ticket.topic and ticket.topic in (mediator.topics or []))
        or (ticket.quartier and ticket.quartier in (mediator.quartiers or []))
    )


def is_waiting(ticket: Ticket, now: datetime, delay: timedelta) -> bool:
    """An open ticket nobody has answered within `delay`."""
    return (
        ticket.status == "open"
        and ticket.first_reply_at is None
        and (now - aware(ticket.created_at) > delay)
    )


async def card(
    repo: MediationRepository,
    ticket: Ticket,
    now: datetime,
    delay: timedelta,
    mediators: Sequence[Mediator] = (),
) -> TicketCard:
    """Describe a ticket for mediators, with the resident's address masked."""
    contact = await repo.contact_of(ticket)
    address = repo.address_of(contact)
    return TicketCard(
        id=ticket.id,
        status=ticket.status,
        reason=ticket.reason,
        topic=ticket.topic,
        quartier=ticket.quartier,
        channel=contact.channel,
        masked_address=mask_address(address.channel, address.value),
        summary=ticket.summary,
        assigned_to=ticket.assigned_to,
        created_at=aware(ticket.created_at),
        first_reply_at=ticket.first_reply_at and aware(ticket.first_reply_at),
        waiting=is_waiting(ticket, now, delay),
        for_mediators=tuple(m.name for m in mediators if covers(m, ticket)),
        urgency=ticket.urgency,
        left=ticket.left_at is not None,
    )


async def answer(
    repo: MediationRepository,
    content: Content,
    ticket: Ticket,
    text: str,
    by: str,
    now: datetime,
    group: Announcer | None = None,
) -> Message:
    """Send a mediator's answer to the resident on their channel; it joins the transcript.

    With `group`, the answer is also posted in the group, mapped to the ticket.
    Raises AnswerTooLong over MAX_ANSWER characters.
    """
    if len(text.strip()) > MAX_ANSWER:
        raise AnswerTooLong(len(text.strip()))
    contact = await repo.contact_of(ticket)
    signed = content.texts.say(ANSWER_KEY, contact.language, text=text.strip(), name=by)
    await repo.queue_reply(contact, Reply(signed, key=ANSWER_KEY), now)
    await repo.session.flush()
    query = (
        select(Message)
        .where(Message.contact_id == contact.id, Message.direction == "out")
        .order_by(Message.id.desc())
        .limit(1)
    )
    message = (await repo.session.execute(query)).scalar_one()
    message.ticket_id = ticket.id
    message.payload = {"key": ANSWER_KEY, "mediator": by, "answer": text.strip()}
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
    ticket.left_at = None  # the resident's next words are for the mediator who wrote
    ticket.last_activity_at = now
    if ticket.assigned_to is None:
        ticket.assigned_to, ticket.status = by, "taken"
    await announce(group, repo, ticket, "answer", by, now, text.strip())
    return message


async def take(
    repo: MediationRepository,
    ticket: Ticket,
    by: str,
    now: datetime,
    group: Announcer | None = None,
    content: Content | None = None,
) -> bool:
    """Make `by` the mediator in charge, tell `group` and (with `content`) the resident, who
    learns who will answer; False when the ticket is closed."""
    if ticket.status == "closed":
        return False
    told = ticket.assigned_to == by
    ticket.assigned_to, ticket.status = by, "taken"
    await announce(group, repo, ticket, "take", by, now)
    if content is not None and not told:
        contact = await repo.contact_of(ticket)
        text = content.texts.say(TAKEN_KEY, contact.language, name=first_name(by))
        await repo.queue_reply(contact, Reply(text, key=TAKEN_KEY), now)
    return True


def first_name(name: str) -> str:
    """What the resident is told of a mediator: the first name, or the structure's name."""
    return name.split()[0] if name.split() else name


async def close(
    repo: MediationRepository,
    content: Content,
    ticket: Ticket,
    by: str,
    now: datetime,
    group: Announcer | None = None,
    key: str = CLOSED_KEY,
    **values: object,
) -> bool:
    """Close the ticket, tell the resident (sentence `key`) and `group`; False when it was
    already closed."""
    if ticket.status == "closed":
        return False
    contact = await repo.contact_of(ticket)
    await repo.close_ticket(ticket, now)
    ticket.assigned_to = ticket.assigned_to or by
    text = content.texts.say(key, contact.language, **values)
    await repo.queue_reply(contact, Reply(text, key=key), now)
    await announce(group, repo, ticket, "close", by, now)
    return True


async def announce(
    group: Announcer | None,
    repo: MediationRepository,
    ticket: Ticket,
    action: str,
    by: str,
    now: datetime,
    text: str = "",
) -> None:
    """Post an action to the group through the outbox; replying to the post reaches the ticket."""
    if group is not None:
        line = ANNOUNCEMENTS[action].format(id=ticket.id, by=by, text=text)
        await group.post(repo, line, now, ticket, action)


async def suggest_for_faq(
    repo: MediationRepository, ticket: Ticket, by: str, now: datetime
) -> FaqSuggestion | None:
    """Mark the ticket's last mediator answer as worth adding to content; None if none yet."""
    messages = await repo.ticket_transcript(ticket)
    answers = [m for m in messages if (m.payload or {}).get("key") == ANSWER_KEY]
    if not answers:
        return None
    last = answers[-1]
    asked = [m.text for m in messages if m.direction == "in" and m.id < last.id][-3:]
    suggestion = FaqSuggestion(
        ticket_id=ticket.id,
        topic=ticket.topic,
        question="\n".join(asked) or ticket.summary,
        answer=last.payload.get("answer", last.text),
        suggested_by=by,
        created_at=now,
    )
    await repo.add_suggestion(suggestion)
    return suggestion
