"""What the intake writes, a batch at a time: residents' messages and delivery reports.

Core statements on a connection (no ORM session: this runs for every webhook), each built
once per dialect, so SQLAlchemy compiles it once; a batch's rows go in one statement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Executable, bindparam, case, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.crypto import AddressCipher
from bot.messages import Address, InboundMessage
from bot.store.erasure import ERASED
from bot.store.models import Contact, Message, OutboxItem

CONTACTS = Contact.__table__
MESSAGES = Message.__table__
OUTBOX = OutboxItem.__table__


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a batch of the intake's statements. On PostgreSQL each statement
    commits as it runs: no BEGIN and no COMMIT, two round trips fewer a batch (a contact
    created for a message the database then refuses is harmless). On SQLite one
    transaction: switching a connection to autocommit costs two thread hops there."""
    if engine.dialect.name != "postgresql":
        async with engine.begin() as connection:
            yield connection
        return
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


Stored = tuple[int, int]  # a message stored now: its id and its author's


async def store_inbound(
    connection: AsyncConnection,
    cipher: AddressCipher,
    messages: Sequence[InboundMessage],
    now: datetime,
) -> list[Stored | None]:
    """Store residents' messages and create their contacts (whose last visit is now); one
    result per message, in order: None for a message already stored (a platform's retry,
    also one given twice here) or erased with its author. Ids are given in this order."""
    statements = _statements(connection.dialect.name)
    keys = [(m.address.channel, m.platform_id) for m in messages]
    erased = {tuple(row) for row in await connection.execute(statements.erased, {"keys": keys})}
    first = {key: n for n, key in reversed(list(enumerate(keys)))}
    fresh = [m for n, m in enumerate(messages) if first[keys[n]] == n and keys[n] not in erased]
    if not fresh:
        return [None] * len(messages)
    people = {m.address: m.language or "fr" for m in reversed(fresh)}  # the first one's
    contacts = await contact_ids(connection, cipher, people, now)
    rows = [inbound_row(m, contacts[m.address]) for m in fresh]
    stored = await connection.execute(statements.insert_messages, rows)
    ids = {(channel, platform_id): (n, c) for n, c, channel, platform_id in stored}
    return [ids.get(key) if first[key] == n else None for n, key in enumerate(keys)]


async def contact_ids(
    connection: AsyncConnection,
    cipher: AddressCipher,
    people: Mapping[Address, str],
    now: datetime,
) -> dict[Address, int]:
    """The contact of each address, created when new with the given language; every one
    was seen now. While keys rotate, a contact may still be under its previous key's
    hash: those are looked for first."""
    statements = _statements(connection.dialect.name)
    hashes = {a: cipher.lookup_hashes(a.channel, a.value) for a in people}
    found: dict[Address, int] = {}
    previous = {(a.channel, h[1]): a for a, h in hashes.items() if len(h) > 1}
    if previous:
        touch = {"keys": list(previous), "now": now}
        for contact_id, channel, hashed in await connection.execute(statements.touch, touch):
            found[previous[channel, hashed]] = contact_id
    current = {(a.channel, h[0]): a for a, h in hashes.items() if a not in found}
    if current:
        rows = [
            {
                "channel": channel,
                "address_hash": hashed,
                "address_encrypted": cipher.encrypt(address.value),
                "opted_out": False,
                "language": people[address],
                "created_at": now,
                "last_seen_at": now,
            }
            for (channel, hashed), address in sorted(current.items())  # one lock order
        ]
        for contact_id, channel, hashed in await connection.execute(statements.upsert, rows):
            found[current[channel, hashed]] = contact_id
    return found


def inbound_row(message: InboundMessage, contact_id: int) -> dict[str, Any]:
    """The messages row of a resident's message."""
    payload: dict[str, object] = {}
    if message.location:
        payload["location"] = [message.location.latitude, message.location.longitude]
    if message.choice:
        payload["choice"] = message.choice
    if message.media:  # kinds, and where the platform keeps each (for the inbox's link)
        payload["media"] = list(message.media)
        payload["media_refs"] = list(message.media_refs)
    return {
        "contact_id": contact_id,
        "channel": message.address.channel,
        "direction": "in",
        "text": message.text,
        "payload": payload,
        "platform_id": message.platform_id,
        "created_at": message.received_at,
    }


@dataclass(frozen=True)
class Report:
    """A platform's word on a sent row (`outcome` "delivered" or "failed")."""

    channel: str
    platform_id: str
    outcome: str
    error: str | None = None
    opted_out: bool = False


async def record_deliveries(connection: AsyncConnection, reports: Sequence[Report]) -> None:
    """Record platforms' reports on sent rows, one statement for them all (and one for the
    people who opted out). Reports may arrive out of order: a row never goes back from
    failed, nor from delivered to anything but failed. A report on an id no row has (a
    later part of a long SMS, a row erased since) changes nothing."""
    statements = _statements(connection.dialect.name)
    known = [r for r in reports if r.outcome in ("delivered", "failed")]
    if known:
        rows = [
            {"ch": r.channel, "pid": r.platform_id, "outcome": r.outcome,
             "error": (r.error or "failed")[:500]}
            for r in known
        ]  # fmt: skip
        await connection.execute(statements.delivered, rows)
    opted_out = [{"ch": r.channel, "pid": r.platform_id} for r in reports if r.opted_out]
    if opted_out:
        await connection.execute(statements.opted_out, opted_out)


@dataclass(frozen=True)
class Statements:
    erased: Executable
    touch: Executable
    upsert: Executable
    insert_messages: Executable
    delivered: Executable
    opted_out: Executable


@cache
def _statements(dialect: str) -> Statements:
    """The intake's statements for one dialect, built once (SQLAlchemy then caches their
    compiled form: building them again each time would cost more than running them)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys: BindParameter[Any] = bindparam("keys", expanding=True)  # (channel, id) pairs
    erased = select(ERASED.c.channel, ERASED.c.platform_id).where(
        tuple_(ERASED.c.channel, ERASED.c.platform_id).in_(keys)
    )
    touch = (
        update(CONTACTS)
        .where(tuple_(CONTACTS.c.channel, CONTACTS.c.address_hash).in_(keys))
        .values(last_seen_at=bindparam("now"))
        .returning(CONTACTS.c.id, CONTACTS.c.channel, CONTACTS.c.address_hash)
    )
    new_contact = insert(CONTACTS)
    upsert = new_contact.on_conflict_do_update(
        index_elements=[CONTACTS.c.channel, CONTACTS.c.address_hash],
        set_={"last_seen_at": new_contact.excluded.last_seen_at},
    ).returning(CONTACTS.c.id, CONTACTS.c.channel, CONTACTS.c.address_hash)
    insert_messages = (
        insert(MESSAGES)
        .on_conflict_do_nothing()
        .returning(MESSAGES.c.id, MESSAGES.c.contact_id, MESSAGES.c.channel, MESSAGES.c.platform_id)
    )
    failed = bindparam("outcome") == "failed"
    delivered = (
        update(OUTBOX)
        .where(
            OUTBOX.c.channel == bindparam("ch"),
            OUTBOX.c.platform_id == bindparam("pid"),
            OUTBOX.c.status != "failed",
        )
        .values(
            status=case((failed, "failed"), else_="delivered"),
            last_error=case((failed, bindparam("error")), else_=OUTBOX.c.last_error),
        )
    )
    reported = select(OUTBOX.c.contact_id).where(
        OUTBOX.c.channel == bindparam("ch"), OUTBOX.c.platform_id == bindparam("pid")
    )
    opted_out = (
        update(CONTACTS).where(CONTACTS.c.id.in_(reported.scalar_subquery())).values(opted_out=True)
    )
    return Statements(erased, touch, upsert, insert_messages, delivered, opted_out)
