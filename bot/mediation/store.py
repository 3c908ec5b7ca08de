"""Queries of the mediators' side, on top of the main repository (same session, same rules)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select

from bot.store.models import (
    ChatMove,
    Contact,
    FaqSuggestion,
    GroupPost,
    InboxSession,
    Mediator,
    Message,
    OutboxItem,
    Ticket,
)
from bot.store.outbox_rows import Queued
from bot.store.repository import OPEN_STATUSES, Repository

VIEWS = ("open", "mine", "all")


class MediationRepository(Repository):
    """Mediators, inbox sessions, tickets as mediators see them, group posts, suggestions."""

    # -- mediators --------------------------------------------------------------------------
    async def add_mediator(self, name: str, password_hash: str, now: datetime) -> Mediator:
        mediator = Mediator(
            name=name, password_hash=password_hash, topics=[], quartiers=[], created_at=now
        )
        self.session.add(mediator)
        await self.session.flush()
        return mediator

    async def mediator_named(self, name: str) -> Mediator | None:
        query = select(Mediator).where(Mediator.name == name)
        return (await self.session.execute(query)).scalars().first()

    async def mediators(self) -> list[Mediator]:
        return list(
            (await self.session.execute(select(Mediator).order_by(Mediator.name))).scalars()
        )

    # -- inbox sessions ---------------------------------------------------------------------
    async def add_session(
        self, mediator: Mediator, token_hash: str, csrf: str, expires_at: datetime
    ) -> None:
        self.session.add(
            InboxSession(
                token_hash=token_hash,
                mediator_id=mediator.id,
                csrf_token=csrf,
                expires_at=expires_at,
            )
        )

    async def live_session(
        self, token_hash: str, now: datetime
    ) -> tuple[InboxSession, Mediator] | None:
        query = (
            select(InboxSession, Mediator)
            .join(Mediator, Mediator.id == InboxSession.mediator_id)
            .where(InboxSession.token_hash == token_hash, InboxSession.expires_at > now)
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def end_session(self, token_hash: str, now: datetime) -> None:
        """Delete this session and any expired one."""
        await self.session.execute(
            delete(InboxSession).where(
                or_(InboxSession.token_hash == token_hash, InboxSession.expires_at <= now)
            )
        )

    # -- tickets ----------------------------------------------------------------------------
    async def ticket(self, ticket_id: int) -> Ticket | None:
        return await self.session.get(Ticket, ticket_id)

    async def tickets(
        self,
        view: str = "open",
        mediator: str | None = None,
        topic: str | None = None,
        quartier: str | None = None,
        limit: int = 200,
    ) -> list[Ticket]:
        """Tickets of one inbox view (open / mine / all), newest first, optionally filtered."""
        query = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
        if view == "open":
            query = query.where(Ticket.status.in_(OPEN_STATUSES))
        elif view == "mine":
            query = query.where(Ticket.assigned_to == mediator)
        if topic:
            query = query.where(Ticket.topic == topic)
        if quartier:
            query = query.where(Ticket.quartier == quartier)
        return list((await self.session.execute(query)).scalars())

    async def ticket_values(self) -> tuple[list[str], list[str]]:
        """The topics and neighbourhoods tickets were opened with, for the inbox filters."""
        rows = (await self.session.execute(select(Ticket.topic, Ticket.quartier).distinct())).all()
        return sorted({t for t, _ in rows if t}), sorted({q for _, q in rows if q})

    async def ticket_transcript(
        self, ticket: Ticket, after: int = 0, limit: int = 60
    ) -> list[Message]:
        """The resident's conversation up to the ticket's closing, oldest first."""
        query = (
            select(Message)
            .where(Message.contact_id == ticket.contact_id, Message.id > after)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        if ticket.closed_at is not None:
            query = query.where(Message.created_at <= ticket.closed_at)
        return list(reversed((await self.session.execute(query)).scalars().all()))

    async def resident_activity(self, tickets: list[Ticket]) -> dict[int, tuple[int, datetime]]:
        """For each ticket with resident messages: how many, and when the last one came."""
        query = (
            select(Message.ticket_id, func.count(Message.id), func.max(Message.created_at))
            .where(Message.ticket_id.in_([t.id for t in tickets]), Message.direction == "in")
            .group_by(Message.ticket_id)
        )
        rows = (await self.session.execute(query)).all()
        # The filter on ticket ids leaves no row without one; the check tells the type checker.
        return {t: (count, last) for t, count, last in rows if t is not None}

    async def contact_of(self, ticket: Ticket) -> Contact:
        return await self.session.get_one(Contact, ticket.contact_id)

    async def waiting_unannounced(self, before: datetime) -> list[Ticket]:
        """Unanswered open tickets created before `before` and not yet announced again."""
        reminded = select(GroupPost.ticket_id).where(GroupPost.kind == "reminder")
        query = select(Ticket).where(
            Ticket.status == "open",
            Ticket.first_reply_at.is_(None),
            Ticket.created_at < before,
            Ticket.id.not_in(reminded),
        )
        return list((await self.session.execute(query)).scalars())

    # -- group posts ------------------------------------------------------------------------
    async def add_group_post(
        self,
        ticket: Ticket,
        kind: str,
        now: datetime,
        outbox: Queued | None = None,
        chat_message_id: str | None = None,
    ) -> None:
        if outbox is not None:
            await self.session.flush()
        self.session.add(
            GroupPost(
                ticket_id=ticket.id,
                kind=kind,
                outbox_id=None if outbox is None else outbox.id,
                chat_message_id=chat_message_id,
                created_at=now,
            )
        )

    async def ticket_of_post(self, chat_channel: str, chat_message_id: str) -> Ticket | None:
        """The ticket a message of the mediators' group is about, by that message's id."""
        sent = select(OutboxItem.id).where(
            OutboxItem.channel == chat_channel, OutboxItem.platform_id == chat_message_id
        )
        query = (
            select(Ticket)
            .join(GroupPost, GroupPost.ticket_id == Ticket.id)
            .where(or_(GroupPost.chat_message_id == chat_message_id, GroupPost.outbox_id.in_(sent)))
        )
        return (await self.session.execute(query)).scalars().first()

    # -- suggestions ------------------------------------------------------------------------
    async def record_chat_move(self, old: int, new: int, now: datetime) -> None:
        """Remember that the group `old` is now the supergroup `new`."""
        move = await self.session.get(ChatMove, old)
        if move is None:
            self.session.add(ChatMove(old_chat_id=old, new_chat_id=new, moved_at=now))
        else:
            move.new_chat_id, move.moved_at = new, now

    async def chat_moves(self) -> dict[int, int]:
        """Every recorded move of a group, old id -> new id."""
        rows = await self.session.execute(select(ChatMove.old_chat_id, ChatMove.new_chat_id))
        return dict(rows.tuples().all())

    async def current_chat_id(self, chat_id: int) -> int:
        """Where a group is now, following its moves (a group moves at most once or twice)."""
        moves = await self.chat_moves()
        seen = {chat_id}
        while chat_id in moves and moves[chat_id] not in seen:
            chat_id = moves[chat_id]
            seen.add(chat_id)
        return chat_id

    async def add_suggestion(self, suggestion: FaqSuggestion) -> None:
        self.session.add(suggestion)

    async def suggestions(self) -> list[FaqSuggestion]:
        query = select(FaqSuggestion).order_by(FaqSuggestion.created_at, FaqSuggestion.id)
        return list((await self.session.execute(query)).scalars())
