"""Replies a turn queues are inserted already claimed and handed to this process's worker:
sent once, without a claim; held behind an earlier unsent row; reclaimed after a crash."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.crypto import AddressCipher
from bot.gateway.outbox import OutboxWorker
from bot.messages import Address, Reply
from bot.store.db import Database
from bot.store.outbox_rows import Queued
from bot.store.repository import Repository
from tests.conftest import SECRET
from tests.harness import WEDNESDAY_MORNING as NOW
from tests.test_outbox import RecordingSender, status_of

LEASE = timedelta(minutes=2)


async def queue_handed(
    database: Database, chat: str, texts: list[str], opted_out: bool = False
) -> list[Queued]:
    """What a turn of this process queues for `chat`, committed: rows to hand over."""
    async with database.session() as session:
        repo = Repository(session, AddressCipher(SECRET), LEASE, deferred=True)
        contact = await repo.get_or_create_contact(Address("telegram", chat), NOW)
        contact.opted_out = opted_out
        await session.flush()
        await repo.queue_replies(contact, [Reply(text) for text in texts], NOW)
        await repo.write_queued()
        await session.commit()
        return repo.queued


def worker(database: Database, sender: RecordingSender, clock=lambda: NOW) -> OutboxWorker:  # noqa: ANN001
    return OutboxWorker(database, AddressCipher(SECRET), {"telegram": sender}, clock, lease=LEASE)


async def run_until(outbox: OutboxWorker, done) -> None:  # noqa: ANN001
    running = asyncio.create_task(outbox.run())
    try:
        for _ in range(200):
            if done():
                break
            await asyncio.sleep(0.02)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_handed_rows_are_sent_once_in_order_without_a_claim(database) -> None:
    queued = await queue_handed(database, "7", ["a", "b", "c"])
    assert [await status_of(database, q.id) for q in queued] == [("sending", 1, None)] * 3
    assert all(q.item is not None for q in queued)
    sender = RecordingSender()
    outbox = worker(database, sender)
    outbox.handover.claim = False  # nothing to claim: what is sent was handed
    outbox.wake(queued)
    await run_until(outbox, lambda: len(sender.sent) == 3)
    assert sender.sent == [("7", "a"), ("7", "b"), ("7", "c")]
    assert [await status_of(database, q.id) for q in queued] == [("sent", 1, None)] * 3


async def test_a_crashed_process_rows_go_after_the_lease_once(database) -> None:
    queued = await queue_handed(database, "8", ["a", "b"])  # handed, then the process died
    sender = RecordingSender()
    assert await worker(database, sender).send_due() == 0  # another process: still leased
    later = NOW + LEASE + timedelta(seconds=1)
    assert await worker(database, sender, clock=lambda: later).send_due() == 2
    assert await worker(database, sender, clock=lambda: later).send_due() == 0
    assert sender.sent == [("8", "a"), ("8", "b")]
    assert [await status_of(database, q.id) for q in queued] == [("sent", 2, None)] * 2


async def test_a_reply_waits_behind_an_earlier_unsent_one(database) -> None:
    first = await queue_handed(database, "9", ["first"])  # being sent elsewhere, unfinished
    second = await queue_handed(database, "9", ["second"])
    assert first[0].item is not None and second[0].item is None  # held: left for a claim
    assert await status_of(database, second[0].id) == ("pending", 0, None)
    sender = RecordingSender()
    assert await worker(database, sender).send_due() == 0  # not before the first is sent
    later = NOW + LEASE + timedelta(seconds=1)
    assert await worker(database, sender, clock=lambda: later).send_due() == 2
    assert sender.sent == [("9", "first"), ("9", "second")]


async def test_a_reply_to_an_opted_out_contact_is_not_handed_and_is_cancelled(database) -> None:
    queued = await queue_handed(database, "10", ["menu"], opted_out=True)
    assert queued[0].item is None
    sender = RecordingSender()
    assert await worker(database, sender).send_due() == 0
    assert sender.sent == []
    assert await status_of(database, queued[0].id) == ("cancelled", 0, "contact opted out")


async def test_a_stopping_worker_hands_back_the_handed_rows_it_had_not_tried(database) -> None:
    queued = await queue_handed(database, "11", ["a", "b"])
    outbox = worker(database, RecordingSender(delay=5.0))
    outbox.handover.claim = False
    outbox.wake(queued)
    running = asyncio.create_task(outbox.run())
    await asyncio.sleep(0.2)  # "a" is being sent, "b" waits for it
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    statuses = [await status_of(database, q.id) for q in queued]
    assert statuses == [("sending", 1, None), ("pending", 0, None)]  # "a": its fate unknown
