"""The retention purge: what is older than RETENTION_DAYS goes, open hand-offs stay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.erasure import erase_person, forget_erased_ids
from bot.store.lockout import forget_old_attempts
from bot.store.models import (
    Contact,
    Conversation,
    FaqSuggestion,
    GroupPost,
    InboxSession,
    Message,
    OutboxItem,
    Ticket,
)
from bot.store.repository import OPEN_STATUSES

FINAL = ("sent", "delivered", "failed", "cancelled", "digested")
DURATION = re.compile(r"^(\d+)d$")


@dataclass(frozen=True)
class Purged:
    """How many rows of each kind a purge deleted."""

    contacts: int
    tickets: int
    messages: int
    outbox: int

    def __str__(self) -> str:
        return (
            f"{self.contacts} contact(s), {self.tickets} ticket(s), "
            f"{self.messages} message(s), {self.outbox} outbox row(s) deleted"
        )


def parse_days(text: str) -> int:
    """`180d` → 180; raises ValueError on anything else."""
    found = DURATION.match(text.strip())
    if not found or int(found.group(1)) < 1:
        raise ValueError(f"{text!r} is not a number of days such as 180d")
    return int(found.group(1))


async def purge(session: AsyncSession, now: datetime, days: int) -> Purged:
    """Delete idle contacts, closed tickets, messages and finished outbox rows older than
    `days`; a contact with an open ticket and the messages of open tickets are kept."""
    cutoff = now - timedelta(days=days)
    open_tickets = select(Ticket.id).where(Ticket.status.in_(OPEN_STATUSES))
    has_open = select(Ticket.contact_id).where(Ticket.status.in_(OPEN_STATUSES))
    idle = select(Contact.id).where(Contact.last_seen_at < cutoff, Contact.id.not_in(has_open))
    idle_ids = list((await session.execute(idle)).scalars())
    for contact_id in idle_ids:
        await erase_person(session, contact_id, remember_ids=False)
    old_tickets = select(Ticket.id).where(Ticket.status == "closed", Ticket.closed_at < cutoff)
    posts = select(GroupPost.outbox_id).where(
        GroupPost.ticket_id.in_(old_tickets), GroupPost.outbox_id.is_not(None)
    )
    await session.execute(delete(OutboxItem).where(OutboxItem.id.in_(posts)))
    await session.execute(delete(FaqSuggestion).where(FaqSuggestion.ticket_id.in_(old_tickets)))
    await session.execute(delete(GroupPost).where(GroupPost.ticket_id.in_(old_tickets)))
    tickets = await session.execute(delete(Ticket).where(Ticket.id.in_(old_tickets)))
    messages = await session.execute(
        delete(Message).where(
            Message.created_at < cutoff,
            or_(Message.ticket_id.is_(None), Message.ticket_id.not_in(open_tickets)),
        )
    )
    mapped = select(GroupPost.outbox_id).where(GroupPost.outbox_id.is_not(None))
    # Rows without a contact (the erasure confirmation, group notices) go as soon as final.
    outbox = await session.execute(
        delete(OutboxItem).where(
            OutboxItem.status.in_(FINAL),
            or_(OutboxItem.created_at < cutoff, OutboxItem.contact_id.is_(None)),
            OutboxItem.id.not_in(mapped),
        )
    )
    await session.execute(delete(Conversation).where(Conversation.updated_at < cutoff))
    await session.execute(delete(InboxSession).where(InboxSession.expires_at <= now))
    await forget_old_attempts(session, now)
    await forget_erased_ids(session, now)
    # A DELETE without RETURNING answers a CursorResult, which counts the rows it removed.
    counts = [cast("CursorResult[()]", r).rowcount for r in (tickets, messages, outbox)]
    return Purged(len(idle_ids), *counts)
