"""Database tables, as typed SQLAlchemy 2 models. Queries live in `bot.store.repository`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    __table__: ClassVar[Table]  # every model maps one table (FromClause in SQLAlchemy's types)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class Contact(Base):
    """A resident on one channel. The address is stored encrypted; `address_hash` finds it."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    address_hash: Mapped[str] = mapped_column(String(64))
    address_encrypted: Mapped[str] = mapped_column(Text)
    opted_out: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Conversation(Base):
    """Dialogue state of a contact: current step, collected slots, last menu shown."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    step: Mapped[str | None] = mapped_column(String(60))
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    menu: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the resident told us that serves later questions (a place), with when: see
    # bot.conversation.memory. Kept a day, outside `slots`, which end with their dialogue.
    memory: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class Message(Base):
    """Every message in or out. `platform_id` is unique per channel so retries store once."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "platform_id"),
        Index("ix_messages_contact_created", "contact_id", "created_at"),
        Index("ix_messages_unprocessed", "direction", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # location, button value
    platform_id: Mapped[str | None] = mapped_column(String(100))
    intent: Mapped[str | None] = mapped_column(String(30))
    confidence: Mapped[float | None] = mapped_column(Float)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    turn_attempts: Mapped[int] = mapped_column(default=0)  # failed turns (bot.store.poison)
    retry_at: Mapped[datetime | None]  # the next attempt after a failed turn


class OutboxItem(Base):
    """A reply waiting to be sent, sent, or given up on after bounded retries."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_lane_status", "lane", "status"),  # a destination's unsent rows
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    recipient_encrypted: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    platform_id: Mapped[str | None] = mapped_column(String(100), index=True)
    bypass_opt_out: Mapped[bool] = mapped_column(default=False)
    lane: Mapped[str | None] = mapped_column(String(40))  # the destination, paced on its own
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Ticket(Base):
    """A conversation handed to human mediators."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_contact_status", "contact_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | taken | closed
    reason: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str | None] = mapped_column(String(30))
    quartier: Mapped[str | None] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text, default="")
    assigned_to: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime]
    first_reply_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    urgency: Mapped[str | None] = mapped_column(String(20))  # the kind of distress, if any
    left_at: Mapped[datetime | None]  # the resident went back to the bot ("menu")
    acknowledged_at: Mapped[datetime | None]  # the resident was told their message was passed on
    late_told_at: Mapped[datetime | None]  # the resident was told nobody had answered in time
    last_activity_at: Mapped[datetime | None]  # a message either way; idle tickets close


# -- the mediators' side: accounts, inbox sessions, group posts, FAQ suggestions ------------


class Mediator(Base):
    """A person who answers residents, with the topics and neighbourhoods they cover."""

    __tablename__ = "mediators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    telegram_username: Mapped[str | None] = mapped_column(String(60))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    quartiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class InboxSession(Base):
    """A logged-in browser; only the SHA-256 of the cookie value is stored."""

    __tablename__ = "inbox_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class GroupPost(Base):
    """A message in the mediators' group about a ticket, so a reply to it finds the ticket.

    Bot posts are found through their outbox row (its `platform_id` is the Telegram message
    id once sent); mediators' own messages are stored with their `chat_message_id`.
    """

    __tablename__ = "group_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # ticket | message | reminder | answer
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )
    chat_message_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime]


class FaqSuggestion(Base):
    """A mediator's answer marked as worth adding to the content base."""

    __tablename__ = "faq_suggestions"
    __table_args__ = (Index("ix_faq_suggestions_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    topic: Mapped[str | None] = mapped_column(String(30))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    suggested_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]


class ChatMove(Base):
    """A Telegram group that became a supergroup: posts go to the new id from then on."""

    __tablename__ = "chat_moves"

    old_chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    new_chat_id: Mapped[int] = mapped_column(BigInteger)
    moved_at: Mapped[datetime]


# -- content curation from the inbox ---------------------------------------------------------


class Curator(Base):
    """A mediator who may edit content/ from the inbox."""

    __tablename__ = "content_curators"

    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), primary_key=True
    )


class ContentChange(Base):
    """One change a curator made to content/, for the log."""

    __tablename__ = "content_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    who: Mapped[str] = mapped_column(String(60))
    what: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
