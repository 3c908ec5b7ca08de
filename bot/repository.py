"""Every query of the application. Knows the tables, nothing of channels or platforms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import AddressCipher
from bot.messages import Address, InboundMessage, Reply, reply_to_dict
from bot.models import Contact, Conversation, Message, OutboxItem, Ticket
from bot.privacy.erasure import erase_person

OPEN_STATUSES = ("open", "taken")


@dataclass(frozen=True)
class ClaimedItem:
    """An outbox row claimed for sending, with its decrypted recipient."""

    id: int
    contact_id: int | None
    address: Address
    payload: dict
    attempts: int


class Repository:
    """Queries on one session; the caller commits."""

    def __init__(self, session: AsyncSession, cipher: AddressCipher) -> None:
        self.session = session
        self.cipher = cipher

    # -- contacts ---------------------------------------------------------------------------
    async def find_contact(self, address: Address) -> Contact | None:
        hashes = self.cipher.lookup_hashes(address.channel, address.value)
        query = select(Contact).where(
            Contact.channel == address.channel, Contact.address_hash.in_(hashes)
        )
        return (await self.session.execute(query)).scalars().first()

    async def get_or_create_contact(
        self, address: Address, now: datetime, language: str = "fr"
    ) -> Contact:
        contact = await self.find_contact(address)
        if contact is None:
            contact = Contact(
                channel=address.channel,
                address_hash=self.cipher.lookup_hash(address.channel, address.value),
                address_encrypted=self.cipher.encrypt(address.value),
                language=language,
                created_at=now,
                last_seen_at=now,
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(contact)
            except IntegrityError:  # created meanwhile by a concurrent turn
                return await self.find_contact(address)
        contact.last_seen_at = now
        return contact

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
        for instance in list(self.session):  # forget loaded copies so nothing is written back
            if instance is contact or getattr(instance, "contact_id", None) == contact.id:
                self.session.expunge(instance)

    # -- messages ---------------------------------------------------------------------------
    async def store_inbound(self, contact: Contact, inbound: InboundMessage) -> Message | None:
        """Store an inbound message once; None when this platform id was already stored."""
        payload: dict = {}
        if inbound.location:
            payload["location"] = [inbound.location.latitude, inbound.location.longitude]
        if inbound.choice:
            payload["choice"] = inbound.choice
        message = Message(
            contact_id=contact.id,
            channel=inbound.address.channel,
            direction="in",
            text=inbound.text,
            payload=payload,
            platform_id=inbound.platform_id,
            created_at=inbound.received_at,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(message)
        except IntegrityError:
            return None
        return message

    async def unprocessed_inbound(self, limit: int = 100) -> list[Message]:
        query = (
            select(Message)
            .where(Message.direction == "in", Message.processed_at.is_(None))
            .order_by(Message.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def get_message(self, message_id: int) -> Message | None:
        return await self.session.get(Message, message_id)

    async def transcript(self, contact_id: int, limit: int = 20) -> list[Message]:
        query = (
            select(Message)
            .where(Message.contact_id == contact_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return list(reversed((await self.session.execute(query)).scalars().all()))

    async def count_messages(self, contact_id: int) -> int:
        query = select(func.count()).select_from(Message).where(Message.contact_id == contact_id)
        return (await self.session.execute(query)).scalar_one()

    # -- conversations ----------------------------------------------------------------------
    async def conversation(self, contact: Contact, now: datetime) -> Conversation:
        query = select(Conversation).where(Conversation.contact_id == contact.id)
        found = (await self.session.execute(query)).scalars().first()
        if found is None:
            found = Conversation(contact_id=contact.id, slots={}, menu={}, updated_at=now)
            self.session.add(found)
        return found

    # -- outbox -----------------------------------------------------------------------------
    async def queue_reply(
        self, contact: Contact, reply: Reply, now: datetime, bypass_opt_out: bool = False
    ) -> OutboxItem:
        """Queue a reply to a contact and record it in the transcript."""
        item = OutboxItem(
            contact_id=contact.id,
            channel=contact.channel,
            recipient_encrypted=contact.address_encrypted,
            payload=reply_to_dict(reply),
            next_attempt_at=now,
            bypass_opt_out=bypass_opt_out,
            created_at=now,
        )
        self.session.add(item)
        self.session.add(
            Message(
                contact_id=contact.id,
                channel=contact.channel,
                direction="out",
                text=reply.text,
                payload={"key": reply.key} if reply.key else {},
                created_at=now,
            )
        )
        return item

    async def queue_to_address(self, address: Address, payload: dict, now: datetime) -> OutboxItem:
        """Queue a message to an address that is not a resident (e.g. the mediators' group)."""
        item = OutboxItem(
            channel=address.channel,
            recipient_encrypted=self.cipher.encrypt(address.value),
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        self.session.add(item)
        return item

    async def claim_due(
        self, now: datetime, limit: int, lease: timedelta, channels: tuple[str, ...]
    ) -> list[ClaimedItem]:
        """Claim due rows for this worker; a crashed worker's claims come back after `lease`."""
        query = (
            select(OutboxItem)
            .where(
                OutboxItem.status.in_(("pending", "sending")),
                OutboxItem.next_attempt_at <= now,
                OutboxItem.channel.in_(channels),
            )
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await self.session.execute(query)).scalars())
        claimed = []
        for row in rows:
            if row.contact_id is not None and not row.bypass_opt_out:
                contact = await self.session.get(Contact, row.contact_id)
                if contact is not None and contact.opted_out:
                    row.status, row.last_error = "cancelled", "contact opted out"
                    continue
            row.status, row.attempts, row.next_attempt_at = "sending", row.attempts + 1, now + lease
            address = Address(row.channel, self.cipher.decrypt(row.recipient_encrypted))
            claimed.append(ClaimedItem(row.id, row.contact_id, address, row.payload, row.attempts))
        return claimed

    async def mark_sent(self, item_id: int, platform_id: str | None, now: datetime) -> None:
        await self.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id)
            .values(status="sent", platform_id=platform_id, sent_at=now, last_error=None)
        )

    async def mark_retry(self, item_id: int, error: str, at: datetime) -> None:
        await self.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id)
            .values(status="pending", last_error=error[:500], next_attempt_at=at)
        )

    async def mark_failed(self, item_id: int, error: str) -> None:
        await self.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id)
            .values(status="failed", last_error=error[:500])
        )

    async def release(self, item_ids: list[int], now: datetime) -> None:
        """Hand back claimed rows that were never tried (a worker stopping cleanly)."""
        await self.session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(item_ids), OutboxItem.status == "sending")
            .values(status="pending", attempts=OutboxItem.attempts - 1, next_attempt_at=now)
        )

    async def record_delivery(
        self, channel: str, platform_id: str, status: str, error: str | None = None
    ) -> OutboxItem | None:
        """Record a platform's later report on a sent row: "delivered" or "failed".

        Reports may arrive out of order: a row never goes back from failed, nor from
        delivered to anything but failed."""
        query = select(OutboxItem).where(
            OutboxItem.channel == channel, OutboxItem.platform_id == platform_id
        )
        item = (await self.session.execute(query)).scalars().first()
        if item is None or item.status == "failed":
            return item
        if status == "failed":
            item.status, item.last_error = "failed", (error or "failed")[:500]
        elif status == "delivered":
            item.status = "delivered"
        return item

    async def outbox_item(self, item_id: int) -> OutboxItem | None:
        return await self.session.get(OutboxItem, item_id)

    async def outbox_depth(self) -> int:
        query = select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending")
        return (await self.session.execute(query)).scalar_one()

    # -- tickets ----------------------------------------------------------------------------
    async def open_ticket_of(self, contact_id: int) -> Ticket | None:
        query = select(Ticket).where(
            Ticket.contact_id == contact_id, Ticket.status.in_(OPEN_STATUSES)
        )
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
        ticket = Ticket(
            contact_id=contact.id,
            reason=reason,
            topic=topic,
            quartier=quartier,
            summary=summary,
            created_at=now,
        )
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def attach_to_ticket(self, message: Message, ticket: Ticket) -> None:
        message.ticket_id = ticket.id

    async def close_ticket(self, ticket: Ticket, now: datetime) -> None:
        ticket.status, ticket.closed_at = "closed", now
