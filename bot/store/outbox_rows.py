"""Queries on outbox rows: queue a reply, claim due rows, record what the platform said.

Part of the repository (`bot.store.repository.Repository` inherits them), kept apart for size.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import AddressCipher
from bot.messages import Address, Reply, reply_to_dict
from bot.rendering.parts import reply_parts
from bot.store.models import Contact, GroupPost, Message, OutboxItem

CONTACTS: Table = Contact.__table__  # Core statements on the per-message path: no unit of work
OUTBOX: Table = OutboxItem.__table__
LANE_HASH = 24  # hex characters of the address's keyed hash in a lane's name
PER_LANE = 5  # rows of one destination claimed at once; its next ones once these are sent


@dataclass(frozen=True)
class ClaimedItem:
    """An outbox row claimed for sending, with its decrypted recipient."""

    id: int
    contact_id: int | None
    address: Address
    payload: dict[str, Any]  # JSON, as the outbox column stores it
    attempts: int
    lane: str


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
                lane=f"{contact.channel}:{contact.address_hash[:LANE_HASH]}",
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

    async def queue_to_address(
        self, address: Address, payload: dict[str, Any], now: datetime
    ) -> OutboxItem:
        """Queue a message to an address that is not a resident (e.g. the mediators' group)."""
        item = OutboxItem(
            channel=address.channel,
            recipient_encrypted=self.cipher.encrypt(address.value),
            payload=payload,
            next_attempt_at=now,
            lane=self.lane_of(address),
            created_at=now,
        )
        self.session.add(item)
        return item

    def lane_of(self, address: Address) -> str:
        """The lane of the rows to this address (no address in clear in it)."""
        hashed = self.cipher.lookup_hash(address.channel, address.value)
        return f"{address.channel}:{hashed[:LANE_HASH]}"

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        channels: tuple[str, ...],
        busy: Collection[str] = (),
        per_lane: int = PER_LANE,
    ) -> list[ClaimedItem]:
        """Claim due rows for this worker; a crashed worker's claims come back after `lease`.
        At most `per_lane` rows of one destination, none of the `busy` ones (still being
        sent): a backlog to one destination never holds back the others.
        Rows to a contact who opted out meanwhile are cancelled, unless they bypass it."""
        lane = func.coalesce(OUTBOX.c.lane, cast(OUTBOX.c.id, String))
        # A destination's rows leave in creation order: a row waits while an earlier one of
        # its lane waits for a retry or is being sent (the 2nd part of a reply, failed once,
        # goes before the 3rd).
        earlier = OUTBOX.alias("earlier")
        unsent_before = (
            select(earlier.c.id)
            .where(
                earlier.c.lane == OUTBOX.c.lane,
                earlier.c.id < OUTBOX.c.id,
                earlier.c.status.in_(("pending", "sending")),
                earlier.c.next_attempt_at > now,
            )
            .exists()
        )
        due = (
            select(
                OUTBOX.c.id,
                OUTBOX.c.next_attempt_at,
                func.row_number().over(partition_by=lane, order_by=OUTBOX.c.id).label("place"),
            )
            .where(
                OUTBOX.c.status.in_(("pending", "sending")),
                OUTBOX.c.next_attempt_at <= now,
                OUTBOX.c.channel.in_(channels),
                ~unsent_before,
                *([or_(OUTBOX.c.lane.is_(None), OUTBOX.c.lane.not_in(busy))] if busy else []),
            )
            .subquery()
        )
        heads = (
            select(due.c.id)
            .where(due.c.place <= per_lane)
            .order_by(due.c.next_attempt_at, due.c.id)
            .limit(limit)
        )
        query = (
            select(OUTBOX, CONTACTS.c.opted_out)
            .outerjoin(CONTACTS, CONTACTS.c.id == OUTBOX.c.contact_id)
            .where(
                OUTBOX.c.id.in_(heads.scalar_subquery()),
                # Again on the locked row itself: PostgreSQL re-checks these after waiting
                # for another process's claim, which has pushed next_attempt_at past now.
                OUTBOX.c.status.in_(("pending", "sending")),
                OUTBOX.c.next_attempt_at <= now,
            )
            .order_by(OUTBOX.c.id)  # creation order: a lane's rows are sent in this order
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
                row.lane or f"row:{row.id}",
            )
            for row in claimed
        ]

    async def digest_backlog(
        self,
        lane: str,
        now: datetime,
        above: int,
        digest: Callable[[dict[str, int]], dict[str, Any]],
    ) -> int:
        """When more than `above` rows wait in `lane`, replace them with one row whose
        payload `digest` makes from their count by kind ("ticket", "message"...; "" when
        not about a ticket). Returns how many rows the digest replaced (0: none made)."""
        waiting = select(OUTBOX.c.id).where(
            OUTBOX.c.lane == lane, OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now
        )
        ids = list(
            (await self.session.execute(waiting.with_for_update(skip_locked=True))).scalars()
        )
        if len(ids) <= above:
            return 0
        kinds = select(GroupPost.outbox_id, GroupPost.kind).where(GroupPost.outbox_id.in_(ids))
        kind_of = {i: k for i, k in (await self.session.execute(kinds)).all()}
        counts: dict[str, int] = {}
        for item_id in ids:
            counts[kind_of.get(item_id, "")] = counts.get(kind_of.get(item_id, ""), 0) + 1
        first = (await self.session.execute(select(OUTBOX).where(OUTBOX.c.id == ids[0]))).one()
        await self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids))
            .values(status="digested", last_error=f"in a digest of {len(ids)} posts")
        )
        await self.session.execute(
            insert(OUTBOX).values(
                channel=first.channel,
                recipient_encrypted=first.recipient_encrypted,
                payload=digest(counts),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                bypass_opt_out=False,
                lane=lane,
                created_at=now,
            )
        )
        return len(ids)

    async def sent_since(self, channel: str, since: datetime) -> int:
        """Rows of a channel the platform accepted since a moment (each may be several SMS)."""
        query = select(func.count()).where(
            OUTBOX.c.channel == channel,
            OUTBOX.c.status.in_(("sent", "delivered")),
            OUTBOX.c.sent_at >= since,
        )
        return (await self.session.execute(query)).scalar_one()

    async def defer(self, item_ids: list[int], until: datetime) -> None:
        """Hand back claimed rows untried, to be sent from `until` (a daily cap reached)."""
        await self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(item_ids), OUTBOX.c.status == "sending")
            .values(status="pending", attempts=OUTBOX.c.attempts - 1, next_attempt_at=until)
        )

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

    async def outbox_item(self, item_id: int) -> OutboxItem | None:
        return await self.session.get(OutboxItem, item_id)
