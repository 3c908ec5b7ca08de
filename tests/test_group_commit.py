"""Group commit at intake: webhooks arriving together are stored in one batch, and each
gets what it would have got alone. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.content import load_content
from bot.conversation.engine import Engine
from bot.crypto import AddressCipher
from bot.gateway.batching import GroupCommit
from bot.gateway.outbox import Handover
from bot.gateway.runtime import Intake
from bot.gateway.spool import Spool
from bot.messages import Address, InboundMessage, Reply
from bot.outage import is_outage
from bot.store.db import Database
from bot.store.erasure import ERASED
from bot.store.models import Contact, Message, OutboxItem
from bot.store.repository import Repository
from tests.harness import CONTENT_DIR, SECRET, WEDNESDAY_MORNING

NOW = WEDNESDAY_MORNING
CONTENT = load_content(CONTENT_DIR)


def sms(who: int, n: int, platform_id: str | None = None) -> InboundMessage:
    return InboundMessage(
        Address("sms", f"+336000000{who:02d}"), f"message {n}", platform_id or f"SM{n}", NOW
    )


def intake_on(database: Database, spool: Spool | None = None) -> Intake:
    """The real intake, its turns not run (what is stored is what is tested here)."""
    cipher = AddressCipher(SECRET)
    engine = Engine(database, cipher, CONTENT, clock=lambda: NOW)
    intake = Intake(database, cipher, engine, Handover(), spool=spool)
    intake.spawn = lambda coro: coro.close()  # type: ignore[method-assign]
    return intake


def counting_batches(commit: GroupCommit) -> list[int]:
    """The sizes of the batches `commit` stores from now on."""
    sizes: list[int] = []
    store = commit.store

    async def counted(batch: Sequence) -> list:
        sizes.append(len(batch))
        return await store(batch)

    commit.store = counted
    return sizes


async def inbound_rows(database: Database) -> list[Message]:
    async with database.session() as session:
        query = select(Message).where(Message.direction == "in").order_by(Message.id)
        return list((await session.execute(query)).scalars())


async def test_webhooks_arriving_together_are_stored_once_in_their_order(database) -> None:
    intake = intake_on(database)
    sizes = counting_batches(intake.messages)
    messages = [sms(n % 7, n) for n in range(30)]  # 7 people
    again = [sms(n % 7, n) for n in (3, 4, 3)]  # platform retries within the batch
    answers = await asyncio.gather(*(intake.receive(m) for m in [*messages, *again]))
    assert answers == [True] * 30 + [False] * 3
    assert max(sizes) > 1 and sum(sizes) == 33
    later = await asyncio.gather(intake.receive(sms(0, 0)), intake.receive(sms(5, 40)))
    assert later == [False, True]  # a retry in a later batch; a new message
    stored = await inbound_rows(database)
    assert sorted(m.text for m in stored) == sorted([m.text for m in messages] + ["message 40"])
    for who in range(7):  # one person's messages get ids in arrival order
        theirs = [m.text for m in stored if m.contact_id == stored[who].contact_id]
        assert theirs == sorted(theirs, key=lambda text: int(text.split()[1]))
    async with database.session() as session:
        contacts = (await session.execute(select(Contact))).scalars().all()
    assert len(contacts) == 7  # SQLite gives naive datetimes back: compared in UTC
    assert {c.last_seen_at.replace(tzinfo=None) for c in contacts} == {NOW.replace(tzinfo=None)}


async def test_a_message_the_database_refuses_fails_alone(database) -> None:
    intake = intake_on(database)
    sizes = counting_batches(intake.messages)
    bad = dataclasses.replace(sms(1, 99), received_at=None)  # NOT NULL: refused
    answers = await asyncio.gather(
        *(intake.receive(m) for m in [sms(0, 0), bad, sms(2, 2)]), return_exceptions=True
    )
    assert answers[0] is True and answers[2] is True
    assert isinstance(answers[1], IntegrityError)
    assert sizes == [3, 1, 1, 1]  # the batch, then each one alone
    assert [m.text for m in await inbound_rows(database)] == ["message 0", "message 2"]


async def test_erased_messages_are_not_stored_again_nor_their_author(database) -> None:
    intake = intake_on(database)
    async with database.engine.begin() as connection:
        await connection.execute(
            ERASED.insert(), [{"channel": "sms", "platform_id": "SM1", "erased_at": NOW}]
        )
    answers = await asyncio.gather(intake.receive(sms(1, 1)), intake.receive(sms(2, 2)))
    assert answers == [False, True]
    stored = await inbound_rows(database)
    assert [m.text for m in stored] == ["message 2"]
    async with database.session() as session:
        assert len((await session.execute(select(Contact))).scalars().all()) == 1


async def test_an_outage_spools_every_message_of_the_batch(database, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", AddressCipher(SECRET))
    intake = intake_on(database, spool)
    away = Database("postgresql+asyncpg://nobody@127.0.0.1:9/none")  # refused at once
    intake.database = intake.engine.database = away
    try:
        answers = await asyncio.gather(*(intake.receive(sms(n, n)) for n in range(4)))
    finally:
        intake.database = intake.engine.database = database
        await away.close()
    assert answers == [True] * 4 and spool.waiting == 4
    assert await spool.replay(intake.store_spooled, is_outage) == 4
    assert [m.text for m in await inbound_rows(database)] == [f"message {n}" for n in range(4)]


async def test_delivery_reports_arriving_together(database) -> None:
    intake = intake_on(database)
    cipher = intake.cipher
    async with database.session() as session:
        repo = Repository(session, cipher)
        contact = await repo.get_or_create_contact(Address("sms", "+33600000001"), NOW)
        await session.flush()
        items = [await repo.queue_reply(contact, Reply(f"r{n}"), NOW) for n in range(4)]
        await session.flush()
        await repo.mark_sent({item.id: f"SMout{n}" for n, item in enumerate(items)}, NOW)
        await session.commit()

    def report(n: int, outcome: str, opted_out: bool = False) -> dict:
        error = f"{outcome}: twilio error 21610" if opted_out else f"{outcome}: twilio error "
        return {"platform_id": f"SMout{n}", "outcome": outcome, "error": error,
                "opted_out": opted_out}  # fmt: skip

    sizes = counting_batches(intake.reports)
    reports = [
        report(0, "delivered"),
        report(1, "failed"),
        report(1, "delivered"),  # out of order: a failed row stays failed
        report(2, "delivered"),
        report(2, "failed", opted_out=True),  # failed after delivered: failed
        report(9, "delivered"),  # no such row: a later part of a long SMS
    ]
    await asyncio.gather(*(intake.receive_report("sms", r) for r in reports))
    assert sizes == [6]
    async with database.session() as session:
        rows = (await session.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars()
        found = [(row.status, row.last_error) for row in rows]
        opted_out = (await session.get_one(Contact, contact.id)).opted_out
    assert found == [
        ("delivered", None),
        ("failed", "failed: twilio error "),
        ("failed", "failed: twilio error 21610"),
        ("sent", None),
    ]
    assert opted_out


async def test_an_idle_gateway_stores_at_once_and_a_busy_one_in_capped_batches() -> None:
    batches: list[list[int]] = []

    async def store(batch: Sequence[int]) -> list[int]:
        batches.append(list(batch))
        await asyncio.sleep(0)
        return [n * 10 for n in batch]

    commit: GroupCommit[int, int] = GroupCommit(store, is_outage, cap=3)
    assert await commit.submit(1) == 10
    assert batches == [[1]]  # alone: stored at once, no waiting for company
    results = await asyncio.gather(*(commit.submit(n) for n in range(2, 9)))
    assert results == [n * 10 for n in range(2, 9)]
    assert batches[1:] == [[2, 3, 4], [5, 6, 7], [8]]


async def test_an_outage_fails_the_whole_batch_at_once() -> None:
    calls: list[list[int]] = []

    async def store(batch: Sequence[int]) -> list[int]:
        calls.append(list(batch))
        raise OperationalError("INSERT", {}, ConnectionRefusedError())

    commit: GroupCommit[int, int] = GroupCommit(store, is_outage)
    answers = await asyncio.gather(*(commit.submit(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(a, OperationalError) for a in answers)
    assert calls == [[0, 1, 2]]  # not retried one by one: the spool takes them
