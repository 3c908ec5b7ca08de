"""Queries on outbox rows: queue a reply, claim due rows, record what the platform said.

Part of the repository (`bot.repository.Repository` inherits them), kept apart for size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.parts import reply_parts
from bot.crypto import AddressCipher
from bot.messages import Address, Reply, reply_to_dict
from bot.models import Contact, Message, OutboxItem

CONTACTS: Table = Contact.__table__  # Core statements on the per-message path: no unit of work
OUTBOX: Table = OutboxItem.__table__


@dataclass(frozen=True)
class ClaimedItem:
    """An outbox row claimed for sending, with its decrypted recipient."""

    id: int
    contact_id: int | None
    address: Address
    payload: dict
    attempts: int


class OutboxRows:
    """Outbox queries on one session; the caller commits."""

    def __init__(self, session: AsyncSession, cipher: AddressCipher) -> None:
        self.session = session
        self.cipher = cipher

    async def queue_reply(
        self, contact: Contact, reply: Reply, now: datetime, bypass_opt_out: bool = False
    ) -> OutboxItem:
        """Queue a reply to a contact, one row per platform-sized part (a retry then resends
        only the part that did not leave), and record it whole in the transcript; returns
        the first part's row."""
        items = [
            OutboxItem(
                contact_id=contact.id,
                channel=contact.channel,
                recipient_encrypted=contact.address_encrypted,
                payload=reply_to_dict(part),
                next_attempt_at=now,
                bypass_opt_out=bypass_opt_out,
                created_at=now,
            )
            for part in reply_parts(contact.channel, reply)
        ]
        self.session.add_all(items)  # ids in this order: the worker sends them in it
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
        return items[0]

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
        """Claim due rows for this worker; a crashed worker's claims come back after `lease`.
        Rows to a contact who opted out meanwhile are cancelled, unless they bypass it."""
        # A resident's rows leave in order: a row waits while an earlier one to the same
        # person waits for a retry or is being sent (the 2nd part of a reply, failed once,
        # goes before the 3rd). Rows to the group (no contact) are not held.
        earlier = OUTBOX.alias("earlier")
        unsent_before = (
            select(earlier.c.id)
            .where(
                earlier.c.contact_id == OUTBOX.c.contact_id,
                earlier.c.id < OUTBOX.c.id,
                earlier.c.status.in_(("pending", "sending")),
                earlier.c.next_attempt_at > now,
            )
            .exists()
        )
        query = (
            select(OUTBOX, CONTACTS.c.opted_out)
            .outerjoin(CONTACTS, CONTACTS.c.id == OUTBOX.c.contact_id)
            .where(
                OUTBOX.c.status.in_(("pending", "sending")),
                OUTBOX.c.next_attempt_at <= now,
                OUTBOX.c.channel.in_(channels),
                ~unsent_before,
            )
            .order_by(OUTBOX.c.id)  # creation order: parts and replies to one person in turn
            .limit(limit)
            .with_for_update(skip_locked=True, of=OUTBOX)
        )
        rows = (await self.session.execute(query)).all()
        cancelled = [row.id for row in rows if row.opted_out and not row.bypass_opt_out]
        claimed = [row for row in rows if row.id not in cancelled]
        if cancelled:
            cancel = update(OUTBOX).where(OUTBOX.c.id.in_(cancelled))
            await self.session.execute(
                cancel.values(status="cancelled", last_error="contact opted out")
            )
        if claimed:
            claim = update(OUTBOX).where(OUTBOX.c.id.in_([row.id for row in claimed]))
            await self.session.execute(
                claim.values(
                    status="sending", attempts=OUTBOX.c.attempts + 1, next_attempt_at=now + lease
                )
            )
        return [
            ClaimedItem(
                row.id,
                row.contact_id,
                Address(row.channel, self.cipher.decrypt(row.recipient_encrypted)),
                row.payload,
                row.attempts + 1,
            )
            for row in claimed
        ]

    async def mark_sent(self, platform_ids: Mapping[int, str | None], now: datetime) -> None:
        """Record sends the platforms accepted: outbox id -> the platform's message id."""
        sent = update(OUTBOX).where(OUTBOX.c.id == bindparam("item"))
        sent = sent.values(
            status="sent", platform_id=bindparam("sid"), sent_at=now, last_error=None
        )
        await self.session.execute(sent, [{"item": i, "sid": s} for i, s in platform_ids.items()])

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
