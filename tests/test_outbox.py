"""The outbox worker: pacing, bounded retries, clean stops, several workers on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.crypto import AddressCipher
from bot.delivery import DeliveryError, Pace
from bot.gateway.outbox import MAX_ATTEMPTS, OutboxWorker, Pacer
from bot.mediation.store import MediationRepository
from bot.messages import Address, Reply
from bot.store.db import Database
from bot.store.models import OutboxItem, Ticket
from bot.store.repository import Repository
from tests.conftest import SECRET
from tests.databases import postgres_database
from tests.harness import WEDNESDAY_MORNING as NOW


class RecordingSender:
    """Records sends; fails with `failures` first, then sleeps `delay` per send."""

    channel = "telegram"

    def __init__(self, failures: list[DeliveryError] = (), delay: float = 0.0, pace=None) -> None:  # noqa: ANN001
        self.sent: list[tuple[str, str]] = []
        self.failures = list(failures)
        self.delay = delay
        self.pace = pace

    async def send(self, address: Address, payload: dict) -> str | None:
        await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((address.value, payload["text"]))
        return f"m{len(self.sent)}"


async def queue(database: Database, replies: dict[str, int]) -> list[int]:
    """Queue `count` replies to each chat id; returns the outbox ids."""
    async with database.session() as session:
        repo = Repository(session, AddressCipher(SECRET))
        items = []
        for chat, count in replies.items():
            contact = await repo.get_or_create_contact(Address("telegram", chat), NOW)
            await session.flush()
            items += [
                await repo.queue_reply(contact, Reply(f"{chat}-{n}"), NOW) for n in range(count)
            ]
        await session.commit()
        return [item.id for item in items]


async def status_of(database: Database, item_id: int) -> tuple[str, int, str | None]:
    async with database.session() as session:
        item = await Repository(session, AddressCipher(SECRET)).outbox_item(item_id)
        return item.status, item.attempts, item.last_error


async def unsent(database: Database) -> int:
    async with database.session() as session:
        query = select(func.count()).where(OutboxItem.status.in_(("pending", "sending")))
        return (await session.execute(query)).scalar_one()


def worker(database: Database, sender: RecordingSender, clock=lambda: NOW) -> OutboxWorker:  # noqa: ANN001
    return OutboxWorker(database, AddressCipher(SECRET), {"telegram": sender}, clock)


async def test_pacer_spaces_sends_per_address_and_overall() -> None:
    pacer, started, times = Pacer(Pace(per_address=0.2, overall=0.05)), time.monotonic(), {}

    async def send(address: str) -> None:
        await pacer.wait(address)
        times.setdefault(address, []).append(time.monotonic() - started)

    await asyncio.gather(*(send(a) for a in ["a", "a", "a", "b", "c"]))
    gaps = [later - earlier for earlier, later in zip(times["a"], times["a"][1:], strict=False)]
    assert all(gap >= 0.19 for gap in gaps)
    everything = sorted(t for ts in times.values() for t in ts)
    assert all(b - a >= 0.04 for a, b in zip(everything, everything[1:], strict=False))


async def test_replies_to_one_chat_keep_their_order_and_pace(sqlite_database) -> None:
    await queue(sqlite_database, {"1": 3, "2": 1})
    sender = RecordingSender(pace=Pace(per_address=0.1, overall=0.0))
    started = time.monotonic()
    assert await worker(sqlite_database, sender).send_due() == 4
    assert [text for chat, text in sender.sent if chat == "1"] == ["1-0", "1-1", "1-2"]
    assert time.monotonic() - started >= 0.2


async def test_attempts_are_bounded_and_the_last_error_kept(sqlite_database) -> None:
    [item_id] = await queue(sqlite_database, {"1": 1})
    clock = [NOW]
    sender = RecordingSender([DeliveryError(f"down {n}") for n in range(MAX_ATTEMPTS)])
    outbox = worker(sqlite_database, sender, lambda: clock[0])
    for _ in range(MAX_ATTEMPTS + 2):
        await outbox.send_due()
        clock[0] += timedelta(hours=2)
    assert await status_of(sqlite_database, item_id) == ("failed", MAX_ATTEMPTS, "down 9")
    assert sender.sent == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DeliveryError("blocked", opted_out=True), "failed"),
        (DeliveryError("chat not found", permanent=True), "failed"),
        (DeliveryError("flood", retry_after=30), "pending"),
    ],
    ids=["opted out", "permanent", "retry after"],
)
async def test_what_a_failure_does_to_the_row(sqlite_database, error, status) -> None:
    [item_id] = await queue(sqlite_database, {"1": 1})
    await worker(sqlite_database, RecordingSender([error])).send_due()
    assert (await status_of(sqlite_database, item_id))[0] == status


async def test_a_clean_stop_hands_back_untried_rows(sqlite_database) -> None:
    ids = await queue(sqlite_database, {"1": 3})
    outbox = worker(sqlite_database, RecordingSender(pace=Pace(per_address=5.0, overall=0.0)))
    sending = asyncio.create_task(outbox.send_due())
    await asyncio.sleep(0.3)  # the first reply went; the second waits for its slot
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    statuses = [await status_of(sqlite_database, i) for i in ids]
    assert statuses == [("sent", 1, None), ("pending", 0, None), ("pending", 0, None)]


async def test_two_workers_on_postgresql_never_send_a_row_twice() -> None:
    async with postgres_database() as url:
        first, second = Database(url), Database(url)  # two engines: two gateway processes
        try:
            await first.upgrade()
            await queue(first, {str(chat): 5 for chat in range(20)})
            senders = [RecordingSender(delay=0.002), RecordingSender(delay=0.002)]
            workers = [worker(first, senders[0]), worker(second, senders[1])]

            async def drain(outbox: OutboxWorker) -> None:
                # A claim overlapping the other's finds its rows locked and gets nothing:
                # drain until nothing is left to claim.
                while await outbox.send_due() or await unsent(first):
                    await asyncio.sleep(0.01)

            await asyncio.gather(*(drain(w) for w in workers))
        finally:
            await first.close()
            await second.close()
    sent = senders[0].sent + senders[1].sent
    assert len(sent) == len(set(sent)) == 100
    assert senders[0].sent and senders[1].sent


GROUP = Address("telegram", "-1001234567890")


async def queue_group_posts(database: Database, count: int, kind: str = "ticket") -> None:
    """`count` posts to the mediators' group, each about a new ticket of its own."""
    async with database.session() as session:
        repo = MediationRepository(session, AddressCipher(SECRET))
        contact = await repo.get_or_create_contact(Address("sms", "+33600000099"), NOW)
        await session.flush()
        for n in range(count):
            ticket = Ticket(contact_id=contact.id, reason="unknown", created_at=NOW)
            session.add(ticket)
            await session.flush()
            item = await repo.queue_to_address(GROUP, {"text": f"ticket {n}"}, NOW)
            await session.flush()
            await repo.add_group_post(ticket, kind, NOW, outbox=item)
        await session.commit()


async def test_a_resident_is_answered_while_the_group_has_a_backlog(sqlite_database) -> None:
    await queue_group_posts(sqlite_database, 40)
    await queue(sqlite_database, {"42": 1})  # a new resident, queued after the 40 posts
    sender = RecordingSender(pace=Pace(per_address=1.0, overall=0.0))  # Telegram's pace
    outbox = worker(sqlite_database, sender)  # no digest: only the lanes are tested
    running = asyncio.create_task(outbox.run())
    try:
        for _ in range(60):  # 3 s; the 40 posts alone take 40 s at Telegram's pace
            if ("42", "42-0") in sender.sent:
                break
            await asyncio.sleep(0.05)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert ("42", "42-0") in sender.sent
    assert len([chat for chat, _ in sender.sent if chat == GROUP.value]) <= 4
    async with sqlite_database.session() as session:  # the group's untried posts handed back
        query = select(OutboxItem.status).where(OutboxItem.status == "sending")
        assert (await session.execute(query)).all() == []


async def test_a_group_backlog_becomes_one_digest(sqlite_database) -> None:
    await queue_group_posts(sqlite_database, 12)
    await queue_group_posts(sqlite_database, 3, kind="message")
    sender = RecordingSender(pace=Pace(per_address=0.0, overall=0.0))
    outbox = OutboxWorker(
        sqlite_database, AddressCipher(SECRET), {"telegram": sender}, lambda: NOW, digest_to=GROUP
    )
    while await outbox.send_due():
        pass
    assert sender.sent == [
        (
            GROUP.value,
            "12 nouvelles demandes et 3 autres messages en attente : voir la messagerie /inbox/",
        )
    ]
    await queue_group_posts(sqlite_database, 2)  # a small backlog is posted as it is
    while await outbox.send_due():
        pass
    assert [text for _, text in sender.sent[1:]] == ["ticket 0", "ticket 1"]


async def test_past_the_daily_sms_cap_only_people_and_confirmations_go(sqlite_database) -> None:
    async with sqlite_database.session() as session:
        repo = Repository(session, AddressCipher(SECRET))
        for n in range(5):
            contact = await repo.get_or_create_contact(Address("sms", f"+3361111000{n}"), NOW)
            await session.flush()
            await repo.queue_reply(contact, Reply(f"bot {n}", key="place.card"), NOW)
        await repo.queue_reply(contact, Reply("Anne: bonjour", key="ticket.answer"), NOW)
        await session.commit()
    texting, group = RecordingSender(), RecordingSender()
    texting.channel = "sms"
    outbox = OutboxWorker(
        sqlite_database, AddressCipher(SECRET), {"sms": texting, "telegram": group},
        lambda: NOW, digest_to=GROUP, sms_daily_limit=3,
    )  # fmt: skip
    while await outbox.send_due():
        pass
    texts = [text for _, text in texting.sent]
    assert texts == ["bot 0", "bot 1", "bot 2", "Anne: bonjour"]  # the mediator's answer goes
    assert len(group.sent) == 1 and "Plafond de 3 SMS par jour atteint" in group.sent[0][1]
    async with sqlite_database.session() as session:
        query = select(OutboxItem.next_attempt_at).where(OutboxItem.status == "pending")
        waiting = (await session.execute(query)).scalars().all()
    assert len(waiting) == 2 and all(at.day == NOW.day + 1 for at in waiting)  # tomorrow
