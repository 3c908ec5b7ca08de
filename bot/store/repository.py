"""Every query of the application. Knows the tables, nothing of channels or platforms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Address
from bot.store.erasure import erase_person
from bot.store.intake_rows import contact_ids
from bot.store.models import Contact, Conversation, Message, OutboxItem, Ticket
from bot.store.outbox_rows import OutboxRows

OPEN_STATUSES = ("open", "taken")
MESSAGES: Table = Message.__table__  # Core statements on the per-message path: no unit of work


@dataclass(frozen=True)
class TurnState:
    """What one turn reads and changes."""

    contact: Contact
    message: Message
    conversation: Conversation
    ticket: Ticket | None
    recent: int  # the contact's messages received in the rate window up to this one
    tickets_today: int  # the tickets the contact opened in the ticket window


NOTE_MARK = "mediators.note"  # a transcript line only mediators read (bot.mediation.display)


class Repository(OutboxRows):
    """Queries on one session; the caller commits."""

    # -- contacts ---------------------------------------------------------------------------
    async def find_contact(self, address: Address) -> Contact | None:
        hashes = self.cipher.lookup_hashes(address.channel, address.value)
        query = select(Contact).where(
            Contact.channel == address.channel, Contact.address_hash.in_(hashes)
        )
        return (await self.session.execute(query)).scalars().first()

    async def last_inbound_at(self, address: Address) -> datetime | None:
        """When the person at this address last wrote (None: never)."""
        contact = await self.find_contact(address)
        if contact is None:
            return None
        query = select(func.max(Message.created_at)).where(
            Message.contact_id == contact.id, Message.direction == "in"
        )
        last = (await self.session.execute(query)).scalar()
        if last is None or last.tzinfo is not None:
            return last
        return last.replace(tzinfo=UTC)  # SQLite gives back naive datetimes, stored in UTC

    async def add_note(
        self, contact: Contact, ticket: Ticket | None, text: str, now: datetime
    ) -> None:
        """A line for the mediators in the person's transcript; nothing is sent to anyone."""
        self.session.add(
            Message(
                contact_id=contact.id,
                channel=contact.channel,
                direction="out",
                text=text,
                payload={"key": NOTE_MARK},
                ticket_id=ticket.id if ticket else None,
                created_at=now,
                processed_at=now,
            )
        )

    async def contact_id_for(self, address: Address, now: datetime, language: str = "fr") -> int:
        """The id of the contact at this address, created when new; its last visit is now."""
        connection = await self.session.connection()
        return (await contact_ids(connection, self.cipher, {address: language}, now))[address]

    async def get_or_create_contact(
        self, address: Address, now: datetime, language: str = "fr"
    ) -> Contact:
        contact_id = await self.contact_id_for(address, now, language)
        return await self.session.get_one(Contact, contact_id, populate_existing=True)

    def address_of(self, contact: Contact) -> Address:
        return Address(contact.channel, self.cipher.decrypt(contact.address_encrypted))

    async def set_opted_out(self, contact: Contact, opted_out: bool) -> None:
        contact.opted_out = opted_out

    async def set_opted_out_by_id(self, contact_id: int) -> None:
        await self.session.execute(
            update(Contact).where(Contact.id == contact_id).values(opted_out=True)
        )

    async def erase_contact(self, contact: Contact) -> None:
        """Erase a person everywhere: contact, messages, tickets, replies, group posts, FAQ."""
        await erase_person(self.session, contact.id)
        self.forget_queued(contact.id)
        for instance in list(self.session):  # forget loaded copies so nothing is written back
            if instance is contact or getattr(instance, "contact_id", None) == contact.id:
                self.session.expunge(instance)

    # -- messages ---------------------------------------------------------------------------
    async def unprocessed_inbound(self, limit: int = 100) -> list[Message]:
        query = (
            select(Message)
            .where(Message.direction == "in", Message.processed_at.is_(None))
            .order_by(Message.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    # -- conversations ----------------------------------------------------------------------
    async def conversation(self, contact: Contact, now: datetime) -> Conversation:
        query = select(Conversation).where(Conversation.contact_id == contact.id)
        found = (await self.session.execute(query)).scalars().first()
        return found or self._start_conversation(contact.id, now)

    def _start_conversation(self, contact_id: int, now: datetime) -> Conversation:
        conversation = Conversation(
            contact_id=contact_id, slots={}, menu={}, memory={}, updated_at=now
        )  # every column given: the conversations a batch starts are one INSERT
        self.session.add(conversation)
        return conversation

    async def turn_states(
        self,
        turns: Sequence[tuple[int, int]],
        now: datetime,
        window: timedelta,
        tickets_since: datetime,
    ) -> list[TurnState]:
        """The state of each turn (message id, contact id) still to run, in arrival order.
        The contacts are locked first, in id order: their turns are serialised across
        processes. Read after the lock, so never older than a previous turn: the messages,
        conversations, open tickets and tickets opened since `tickets_since`; and the
        contact's messages received in the `window` up to each message (the rate limit's
        count)."""
        contact_ids = sorted({contact_id for _, contact_id in turns})
        locking = select(Contact).where(Contact.id.in_(contact_ids)).order_by(Contact.id)
        contacts = {c.id: c for c in await self.session.scalars(locking.with_for_update())}
        open_ticket = select(Ticket.id).where(
            Ticket.contact_id == Message.contact_id, Ticket.status.in_(OPEN_STATUSES)
        )
        opened = select(func.count(Ticket.id)).where(
            Ticket.contact_id == Message.contact_id, Ticket.created_at >= tickets_since
        )
        query = (
            select(
                Message,
                Conversation,
                open_ticket.limit(1).scalar_subquery(),
                opened.scalar_subquery(),
            )
            .outerjoin(Conversation, Conversation.contact_id == Message.contact_id)
            .where(Message.id.in_([message_id for message_id, _ in turns]))
            .order_by(Message.id)
        )
        wanted = set(turns)
        rows = [
            row
            for row in (await self.session.execute(query)).all()
            if (row[0].id, row[0].contact_id) in wanted and row[0].contact_id in contacts
        ]
        tickets = await self._tickets([ticket_id for _, _, ticket_id, _ in rows if ticket_id])
        recent = await self._recent_inbound([message for message, *_ in rows], window)
        conversations: dict[int, Conversation] = {}
        states = []
        for message, conversation, ticket_id, tickets_today in rows:
            contact_id = message.contact_id
            if contact_id not in conversations:
                conversations[contact_id] = conversation or self._start_conversation(
                    contact_id, now
                )
            ticket = tickets.get(ticket_id) if ticket_id else None
            states.append(
                TurnState(
                    contacts[contact_id],
                    message,
                    conversations[contact_id],
                    ticket,
                    recent[message.id],
                    tickets_today,
                )  # fmt: skip
            )
        return states

    async def _tickets(self, ids: list[int]) -> dict[int, Ticket]:
        if not ids:
            return {}
        found = await self.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))
        return {ticket.id: ticket for ticket in found}

    async def _recent_inbound(self, messages: list[Message], window: timedelta) -> dict[int, int]:
        """For each message, its contact's messages received since `window` before it, up to
        it (by arrival, not by turn: the turn's own writes do not change it)."""
        if not messages:
            return {}
        query = select(MESSAGES.c.id, MESSAGES.c.contact_id, MESSAGES.c.created_at).where(
            MESSAGES.c.contact_id.in_({m.contact_id for m in messages}),
            MESSAGES.c.direction == "in",
            MESSAGES.c.created_at >= min(m.created_at for m in messages) - window,
            MESSAGES.c.id <= max(m.id for m in messages),
        )
        received = (await self.session.execute(query)).all()
        return {
            m.id: sum(
                1
                for id_, contact_id, at in received
                if contact_id == m.contact_id and id_ <= m.id and at >= m.created_at - window
            )
            for m in messages
        }

    # -- limits -----------------------------------------------------------------------------
    async def said_since(self, contact_id: int, since: datetime, key: str) -> bool:
        """Whether the sentence `key` was sent to the contact since `since`."""
        query = select(Message.id).where(
            Message.contact_id == contact_id,
            Message.direction == "out",
            Message.created_at >= since,
            Message.payload["key"].as_string() == key,
        )
        return (await self.session.execute(query.limit(1))).first() is not None

    # -- tickets ----------------------------------------------------------------------------
    async def open_ticket_of(self, contact_id: int) -> Ticket | None:
        query = select(Ticket).where(*_open_tickets_of(contact_id))
        return (await self.session.execute(query)).scalars().first()

    async def open_ticket(
        self,
        contact: Contact,
        reason: str,
        now: datetime,
        topic: str | None = None,
        quartier: str | None = None,
        summary: str = "",
    ) -> Ticket:
        """A new ticket, with its id; written alone, so the turns of a batch still have
        their other writes made together at commit."""
        values = {
            "contact_id": contact.id,
            "reason": reason,
            "topic": topic,
            "quartier": quartier,
            "summary": summary,
            "created_at": now,
        }
        created = await self.session.scalars(
            insert(Ticket).returning(Ticket), [values], execution_options={"autoflush": False}
        )
        return created.one()

    async def attach_to_ticket(self, message: Message, ticket: Ticket) -> None:
        message.ticket_id = ticket.id

    async def close_ticket(self, ticket: Ticket, now: datetime) -> None:
        ticket.status, ticket.closed_at = "closed", now

    async def unanswered_tickets(self, opened_before: datetime) -> list[Ticket]:
        """Open tickets no mediator has answered, whose resident was not told it is late."""
        query = select(Ticket).where(
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.first_reply_at.is_(None),
            Ticket.late_told_at.is_(None),
            Ticket.created_at < opened_before,
        )
        return list((await self.session.execute(query)).scalars())

    async def idle_tickets(self, quiet_since: datetime) -> list[Ticket]:
        """Open tickets with no message either way since `quiet_since`."""
        last = func.coalesce(Ticket.last_activity_at, Ticket.created_at)
        query = select(Ticket).where(Ticket.status.in_(OPEN_STATUSES), last < quiet_since)
        return list((await self.session.execute(query)).scalars())


def _open_tickets_of(contact_id: int) -> tuple[ColumnElement[bool], ...]:
    return Ticket.contact_id == contact_id, Ticket.status.in_(OPEN_STATUSES)


# -- figures (for /metrics; no address is read) -------------------------------------------
async def outbox_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """Outbox rows by (channel, status)."""
    query = select(OutboxItem.channel, OutboxItem.status, func.count())
    rows = await session.execute(query.group_by(OutboxItem.channel, OutboxItem.status))
    return [(channel, status, count) for channel, status, count in rows]


async def open_ticket_counts(session: AsyncSession) -> dict[str, int]:
    """Open tickets by status (every open status, 0 when none)."""
    counts = dict.fromkeys(OPEN_STATUSES, 0)
    query = select(Ticket.status, func.count()).where(Ticket.status.in_(OPEN_STATUSES))
    counts.update((await session.execute(query.group_by(Ticket.status))).tuples().all())
    return counts
