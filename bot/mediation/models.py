"""Tables of the mediators' side: accounts, inbox sessions, group posts, FAQ suggestions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models import Base


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
