"""Erasure of one person everywhere we keep something about them (OUBLIE, idle contacts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import (
    Contact,
    Conversation,
    FaqSuggestion,
    GroupPost,
    Message,
    OutboxItem,
    Ticket,
)

if TYPE_CHECKING:
    from bot.store.db import Database

# Platform ids of an erased person's messages: a platform retrying one of them (the
# OUBLIE webhook itself, say) must not bring the person back nor confirm twice.
ERASED = Table(
    "erased_messages",
    MetaData(),
    Column("channel", String(20), primary_key=True),
    Column("platform_id", String(100), primary_key=True),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)
REMEMBERED = timedelta(days=2)  # platforms retry for a day at most


async def erase_person(session: AsyncSession, contact_id: int, remember_ids: bool = True) -> None:
    """Delete a contact with its conversation, messages, tickets, replies and group posts;
    keep the platform ids of their messages for a while (not for the retention purge)."""
    if remember_ids:
        inbound = select(Message.channel, Message.platform_id).where(
            Message.contact_id == contact_id,
            Message.direction == "in",
            Message.platform_id.is_not(None),
        )
        known = select(ERASED.c.platform_id).where(ERASED.c.channel == Message.channel)
        ids = (await session.execute(inbound.where(Message.platform_id.not_in(known)))).all()
        if ids:
            now = datetime.now(UTC)
            await session.execute(
                insert(ERASED),
                [{"channel": c, "platform_id": p, "erased_at": now} for c, p in ids],
            )
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


async def checkpoint(database: Database) -> None:
    """After an erasure on SQLite: copy the write-ahead log into the database file and
    empty it, so the erased text does not linger in the log until a later checkpoint."""
    if database.dialect != "sqlite":
        return
    async with database.engine.connect() as connection:
        await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


async def forget_erased_ids(session: AsyncSession, now: datetime) -> None:
    """Platforms no longer retry messages this old."""
    await session.execute(delete(ERASED).where(ERASED.c.erased_at < now - REMEMBERED))
