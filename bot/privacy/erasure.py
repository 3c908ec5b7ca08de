"""Erasure of one person everywhere we keep something about them (OUBLIE, idle contacts)."""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.mediation.models import FaqSuggestion, GroupPost
from bot.models import Contact, Conversation, Message, OutboxItem, Ticket


async def erase_person(session: AsyncSession, contact_id: int) -> None:
    """Delete a contact with its conversation, messages, tickets, replies and group posts."""
    tickets = select(Ticket.id).where(Ticket.contact_id == contact_id)
    # Posts to the mediators' group carry the transcript but no contact id: found by ticket.
    posts = select(GroupPost.outbox_id).where(
        GroupPost.ticket_id.in_(tickets), GroupPost.outbox_id.is_not(None)
    )
    await session.execute(delete(OutboxItem).where(OutboxItem.id.in_(posts)))
    await session.execute(delete(FaqSuggestion).where(FaqSuggestion.ticket_id.in_(tickets)))
    await session.execute(delete(GroupPost).where(GroupPost.ticket_id.in_(tickets)))
    await session.execute(delete(OutboxItem).where(OutboxItem.contact_id == contact_id))
    await session.execute(delete(Message).where(Message.contact_id == contact_id))
    await session.execute(delete(Ticket).where(Ticket.contact_id == contact_id))
    await session.execute(delete(Conversation).where(Conversation.contact_id == contact_id))
    await session.execute(delete(Contact).where(Contact.id == contact_id))


async def checkpoint(database) -> None:  # noqa: ANN001 - bot.db.Database
    """After an erasure on SQLite: copy the write-ahead log into the database file and
    empty it, so the erased text does not linger in the log until a later checkpoint."""
    if database.dialect != "sqlite":
        return
    async with database.engine.connect() as connection:
        await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
