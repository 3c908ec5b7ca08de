"""Queries on outbox rows: queue a reply, claim due rows, record what the platform said.

Part of the repository (`bot.store.repository.Repository` inherits them), kept apart for size.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import AddressCipher
from bot.messages import Address, Reply, reply_to_dict
from bot.rendering.parts import reply_parts
from bot.store.models import Contact, GroupPost, Message, OutboxItem

CONTACTS: Table = Contact.__table__  # Core statements on the per-message path: no unit of work
OUTBOX: Table = OutboxItem.__table__
LANE_HASH = 24  # hex characters of the address's keyed hash in a lane's name
PER_LANE = 5  # rows of one destination claimed at once; its next ones once these are sent
UNSENT = ("pending", "sending")
CLAIMED = (OUTBOX.c.id, OUTBOX.c.contact_id, OUTBOX.c.channel, OUTBOX.c.recipient_encrypted,
           OUTBOX.c.payload, OUTBOX.c.attempts, OUTBOX.c.lane, OUTBOX.c.status)  # fmt: skip


def is_due(rows: FromClause, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return rows.c.status.in_(UNSENT), rows.c.next_attempt_at <= now


def unclaimed(now: datetime) -> dict[str, Any]:
    """A new row's state when a claim will take it."""
    return {"status": "pending", "attempts": 0, "next_attempt_at": now}


def claimed(until: datetime) -> dict[str, Any]:
    """A new row's state when this process sends it: claimed, its first attempt."""
    return {"status": "sending", "attempts": 1, "next_attempt_at": until}


# One statement for every batch of new rows: executemany, compiled once and cached.
INSERT_ROWS = insert(OUTBOX).returning(OUTBOX.c.id, OUTBOX.c.status, sort_by_parameter_order=True)


@dataclass(frozen=True)
class ClaimedItem:
    """An outbox row claimed for sending, with its decrypted recipient."""

    id: int
    contact_id: int | None
    address: Address
    payload: dict[str, Any]  # JSON, as the outbox column stores it
    attempts: int
    lane: str


@dataclass(frozen=True)
class Queued:
    """A row a repository queued. `item`: inserted already claimed by this process, for its
    worker once the transaction is committed; None: left "pending" for a claim (held behind
    an earlier unsent row of its lane, to a contact who opted out, or no worker here)."""

    id: int
    lane: str
    item: ClaimedItem | None


class OutboxRows:
    """Outbox queries on one session; the caller commits.

    With a `lease`, the replies queued are inserted already claimed by this process for that
    long (its outbox worker is handed `queued` after the commit: no claim round trip); a crash
    before they are sent lets another process claim them once the lease is over."""

    def __init__(
        self,
        session: AsyncSession,
        cipher: AddressCipher,
        lease: timedelta | None = None,
        deferred: bool = False,
    ) -> None:
        self.session = session
        self.cipher = cipher
        self.lease = lease
        self.deferred = deferred  # replies are written by write_queued(), all in one statement
        self.queued: list[Queued] = []
        self._unwritten: list[tuple[dict[str, Any], bool]] = []  # a row, and may it be claimed
        self._handing: dict[str, bool] = {}  # lane -> its rows queued here are handed over

    async def queue_reply(
        self, contact: Contact, reply: Reply, now: datetime, bypass_opt_out: bool = False
    ) -> Queued | None:
        """Queue a reply to a contact, one row per platform-sized part (a retry then resends
        only the part that did not leave), and record it whole in the transcript; returns
        the first part's row (None when deferred: see `write_queued`)."""
        queued = await self.queue_replies(contact, [reply], now, bypass_opt_out)
        return queued[0] if queued else None

    async def queue_replies(
        self,
        contact: Contact,
        replies: Sequence[Reply],
        now: datetime,
        bypass_opt_out: bool = False,
    ) -> list[Queued]:
        """Queue replies to a contact in one statement (see `queue_reply`); returns each
        reply's first row (none when deferred)."""
        if contact.id is None:
            await self.session.flush()  # a contact created in this transaction
        lane = f"{contact.channel}:{contact.address_hash[:LANE_HASH]}"
        rows: list[dict[str, Any]] = []
        firsts = []
        for reply in replies:
            firsts.append(len(rows))
            rows += [
                {
                    "contact_id": contact.id,
                    "channel": contact.channel,
                    "recipient_encrypted": contact.address_encrypted,
                    "payload": reply_to_dict(part),
                    "bypass_opt_out": bypass_opt_out,
                    "lane": lane,
                    "created_at": now,
                }
                for part in reply_parts(contact.channel, reply)
            ]
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
        if not rows:
            return []
        queued = await self._queue_rows(rows, bypass_opt_out or not contact.opted_out)
        return [queued[first] for first in firsts] if queued else []

    async def queue_to_address(
        self, address: Address, payload: dict[str, Any], now: datetime
    ) -> Queued:
        """Queue a message to an address that is not a resident (e.g. the mediators' group);
        never handed over: the group's backlog is digested from pending rows."""
        lane = self.lane_of(address)
        row = {
            "contact_id": None,
            "channel": address.channel,
            "recipient_encrypted": self.cipher.encrypt(address.value),
            "payload": payload,
            "bypass_opt_out": False,
            "lane": lane,
            "created_at": now,
        }
        self._unwritten.append((row, False))
        return (await self.write_queued())[-1]  # at once, what waited with it: its id is needed

    async def _queue_rows(self, rows: list[dict[str, Any]], claim: bool) -> list[Queued]:
        self._unwritten += [(row, claim) for row in rows]
        return [] if self.deferred else await self.write_queued()

    async def write_queued(self) -> list[Queued]:
        """Insert the rows queued and not yet written, in order, in one statement (a deferred
        repository's caller calls this before its commit); returns them."""
        unwritten, self._unwritten = self._unwritten, []
        if not unwritten:
            return []
        await self._ask_lanes({row["lane"] for row, claim in unwritten if claim})
        values = [{**row, **self._state(row, claim)} for row, claim in unwritten]
        with self.session.no_autoflush:  # transcript lines: written together at the commit
            inserted = (await self.session.execute(INSERT_ROWS, values)).all()  # in row order
        queued = []
        for (item_id, status), (row, claim) in zip(inserted, unwritten, strict=True):
            lane, item = row["lane"], None
            if self.lease is not None and claim:
                self._handing[lane] = status == "sending"
            if self.lease is not None and claim and status == "sending":
                address = Address(row["channel"], self.cipher.decrypt(row["recipient_encrypted"]))
                contact_id, payload = row["contact_id"], row["payload"]
                item = ClaimedItem(item_id, contact_id, address, payload, 1, lane)
            queued.append(Queued(item_id, lane, item))
        self.queued += queued
        return queued

    async def _ask_lanes(self, lanes: set[str]) -> None:
        """Whether this process may hand the rows of lanes it writes to for the first time: not
        when an earlier row of the lane is unsent (one query for the batch); the lane's next
        rows here follow its fate."""
        asking = lanes - self._handing.keys() if self.lease is not None else set()
        if not asking:
            return
        unsent = OUTBOX.c.lane.in_(asking), OUTBOX.c.status.in_(UNSENT)
        with self.session.no_autoflush:
            held = set((await self.session.execute(select(OUTBOX.c.lane).where(*unsent))).scalars())
        self._handing.update((lane, lane not in held) for lane in asking)

    def _state(self, row: dict[str, Any], claim: bool) -> dict[str, Any]:
        """Claimed for this process when it has a lease and may hand the lane's rows."""
        if self.lease is None or not claim or not self._handing.get(row["lane"]):
            return unclaimed(row["created_at"])
        return claimed(row["created_at"] + self.lease)

    def forget_queued(self, contact_id: int) -> None:
        """A person erased in this transaction: nothing queued for them is written or sent."""
        self._unwritten = [(r, c) for r, c in self._unwritten if r["contact_id"] != contact_id]
        self.queued = [q for q in self.queued if q.item is None or q.item.contact_id != contact_id]

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
        """Claim due rows for this worker in one `UPDATE … RETURNING`; a crashed worker's
        claims come back after `lease`. At most `per_lane` rows of one destination, none of
        the `busy` ones (still being sent): a backlog to one destination never holds back
        the others. Rows to a contact who opted out meanwhile are cancelled, unless they
        bypass it."""
        rows = OUTBOX.alias("due_rows")
        lane = func.coalesce(rows.c.lane, cast(rows.c.id, String))
        # A destination's rows leave in creation order: a row waits while an earlier one of
        # its lane waits for a retry or is being sent (the 2nd part of a reply, failed once,
        # goes before the 3rd).
        earlier = OUTBOX.alias("earlier")
        unsent_before = (
            select(earlier.c.id)
            .where(
                earlier.c.lane == rows.c.lane,
                earlier.c.id < rows.c.id,
                earlier.c.status.in_(("pending", "sending")),
                earlier.c.next_attempt_at > now,
            )
            .exists()
        )
        due = (
            select(
                rows.c.id,
                rows.c.next_attempt_at,
                func.row_number().over(partition_by=lane, order_by=rows.c.id).label("place"),
            )
            .where(
                *is_due(rows, now),
                rows.c.channel.in_(channels),
                ~unsent_before,
                *([or_(rows.c.lane.is_(None), rows.c.lane.not_in(busy))] if busy else []),
            )
            .subquery()
        )
        heads = (
            select(due.c.id)
            .where(due.c.place <= per_lane)
            .order_by(due.c.next_attempt_at, due.c.id)
            .limit(limit)
        )
        # The row's own status and due time again on the locked row: PostgreSQL re-checks
        # these after waiting for another process's claim, which pushed next_attempt_at on.
        locked = OUTBOX.alias("locked")
        lock = (
            select(locked.c.id)
            .where(locked.c.id.in_(heads.scalar_subquery()), *is_due(locked, now))
            .with_for_update(skip_locked=True)
        )
        opted_out = (
            select(CONTACTS.c.opted_out)
            .where(CONTACTS.c.id == OUTBOX.c.contact_id)
            .scalar_subquery()
        )
        cancel = and_(OUTBOX.c.bypass_opt_out.is_(False), func.coalesce(opted_out, False))
        claim = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(lock.scalar_subquery()), *is_due(OUTBOX, now))
            .values(
                status=case((cancel, "cancelled"), else_="sending"),
                last_error=case((cancel, "contact opted out"), else_=OUTBOX.c.last_error),
                attempts=case((cancel, OUTBOX.c.attempts), else_=OUTBOX.c.attempts + 1),
                next_attempt_at=case((cancel, OUTBOX.c.next_attempt_at), else_=now + lease),
            )
            .returning(*CLAIMED)
        )
        claimed = sorted((await self.session.execute(claim)).all())  # a lane's rows in order
        return [
            ClaimedItem(
                row.id,
                row.contact_id,
                Address(row.channel, self.cipher.decrypt(row.recipient_encrypted)),
                row.payload,
                row.attempts,
                row.lane or f"row:{row.id}",
            )
            for row in claimed
            if row.status == "sending"
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
            update(OUTBOX)
            .where(OUTBOX.c.id == item_id)
            .values(status="pending", last_error=error[:500], next_attempt_at=at)
        )

    async def mark_failed(self, item_id: int, error: str) -> None:
        await self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == item_id)
            .values(status="failed", last_error=error[:500])
        )

    async def release(self, item_ids: list[int], now: datetime) -> None:
        """Hand back claimed rows that were never tried (a worker stopping cleanly)."""
        await self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(item_ids), OUTBOX.c.status == "sending")
            .values(status="pending", attempts=OUTBOX.c.attempts - 1, next_attempt_at=now)
        )

    async def outbox_item(self, item_id: int) -> OutboxItem | None:
        return await self.session.get(OutboxItem, item_id)
