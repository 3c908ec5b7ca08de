"""Erasure everywhere, retention purge (command and daily), export, key rotation."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.__main__ import main
from bot.config import Settings
from bot.crypto import AddressCipher
from bot.gateway.runtime import start_runtime
from bot.gateway.upkeep import upkeep
from bot.messages import Address, InboundMessage
from bot.privacy.keys import rotate_keys
from bot.privacy.retention import purge
from bot.store.models import Contact, FaqSuggestion, GroupPost, Message, OutboxItem, Ticket
from bot.store.repository import Repository
from tests.harness import CONTENT_DIR, SECRET, WEDNESDAY_MORNING, CapturingSender
from tests.privacy.conversations import SMS_RESIDENT, TELEGRAM_RESIDENT, whole_conversations

NEW_SECRET = "a-new-secret-key-after-rotation-0123456789"


async def count(database, model, *where) -> int:  # noqa: ANN001
    async with database.session() as session:
        query = select(func.count()).select_from(model).where(*where)
        return (await session.execute(query)).scalar_one()


async def cli(monkeypatch, capsys, url: str, *argv: str, **env: str) -> tuple[int, str]:
    """Run a command as from a shell (in a thread: it runs its own event loop)."""
    monkeypatch.setenv("SECRET_KEY", env.get("SECRET_KEY", SECRET))
    monkeypatch.setenv("DATABASE_URL", url)
    if "SECRET_KEY_PREVIOUS" in env:
        monkeypatch.setenv("SECRET_KEY_PREVIOUS", env["SECRET_KEY_PREVIOUS"])
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = await asyncio.to_thread(main, list(argv))
    return code, capsys.readouterr().out


async def test_oublie_erases_messages_tickets_outbox_group_posts_and_faq(tmp_path, bot):
    await bot.say(SMS_RESIDENT, "je voudrais parler a quelqu'un")
    async with bot.database.session() as session:
        repo = Repository(session, bot.cipher)
        contact = await repo.find_contact(Address("sms", SMS_RESIDENT))
        ticket = await repo.open_ticket_of(contact.id)
        post = await repo.queue_to_address(Address("telegram", "-100"), {"text": "card"}, bot.now)
        await session.flush()
        session.add(
            GroupPost(ticket_id=ticket.id, kind="ticket", outbox_id=post.id, created_at=bot.now)
        )
        session.add(
            FaqSuggestion(
                ticket_id=ticket.id,
                question="q",
                answer="a",
                suggested_by="Anne",
                created_at=bot.now,
            )
        )
        await session.commit()
    await bot.say(SMS_RESIDENT, "OUBLIE")
    for model in (Contact, Message, Ticket, GroupPost, FaqSuggestion):
        assert await count(bot.database, model) == 0, model
    # Only the confirmation of erasure is left, sent; the next purge removes it.
    assert await count(bot.database, OutboxItem, OutboxItem.contact_id.is_not(None)) == 0
    assert await count(bot.database, OutboxItem, OutboxItem.status != "sent") == 0
    async with bot.database.session() as session:
        await purge(session, bot.now, 180)
        await session.commit()
    assert await count(bot.database, OutboxItem) == 0


async def test_purge_keeps_open_hand_offs_and_removes_the_rest(tmp_path, bot):
    await bot.say("+33600000001", "bonjour")
    await bot.say("+33600000002", "je voudrais parler a quelqu'un")
    await bot.say("+33600000003", "je voudrais parler a quelqu'un")
    async with bot.database.session() as session:
        repo = Repository(session, bot.cipher)
        closed = await repo.open_ticket_of(
            (await repo.find_contact(Address("sms", "+33600000003"))).id
        )
        await repo.close_ticket(closed, bot.now)
        await session.commit()
    async with bot.database.session() as session:
        purged = await purge(session, bot.now + timedelta(days=181), 180)
        await session.commit()
    assert (purged.contacts, purged.tickets) == (2, 0)  # closed tickets go with idle contacts
    assert await count(bot.database, Contact) == 1  # the one waiting for a mediator
    assert await count(bot.database, Ticket, Ticket.status == "open") == 1
    assert await count(bot.database, Message, Message.ticket_id.is_(None)) == 0
    assert await count(bot.database, OutboxItem) == 0


async def test_the_server_answers_left_messages_and_purges_by_itself(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'upkeep.db'}"
    settings = Settings(secret_key=SECRET, database_url=url, content_dir=CONTENT_DIR)
    sent: list = []
    clock = [WEDNESDAY_MORNING]
    runtime = await start_runtime(
        settings, {"sms": CapturingSender("sms", sent)}, clock=lambda: clock[0]
    )
    old = InboundMessage(Address("sms", "+33600000009"), "bonjour", "SMold", WEDNESDAY_MORNING)
    new = InboundMessage(Address("sms", "+33600000008"), "bonjour", "SMnew", WEDNESDAY_MORNING)
    await runtime.engine.handle(old)
    await runtime.worker.send_due()
    sent.clear()
    clock[0] += timedelta(days=200)
    await runtime.engine.accept(new)  # stored, its turn never ran (a database outage)
    worker, task = (
        asyncio.create_task(runtime.worker.run()),
        asyncio.create_task(upkeep(runtime, sweep_seconds=0.05)),
    )
    try:
        for _ in range(300):
            if await count(runtime.database, Contact) == 1 and sent:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        worker.cancel()
        await asyncio.gather(task, worker, return_exceptions=True)
        await runtime.database.close()
    assert [to.value for to, _ in sent] == ["+33600000008"]  # answered by the sweep


async def test_export_and_key_rotation_commands(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await whole_conversations(url, tmp_path)
    code, out = await cli(monkeypatch, capsys, url, "export", SMS_RESIDENT)
    data = json.loads(out)
    assert code == 0 and data["contact"]["address"] == SMS_RESIDENT
    assert any("passez mardi" in m["text"] for m in data["messages"])
    assert data["tickets"][0]["status"] == "taken" and data["faq_suggestions"]
    code, out = await cli(monkeypatch, capsys, url, "export", f"telegram:{TELEGRAM_RESIDENT}")
    assert code == 0 and json.loads(out)["contact"]["channel"] == "telegram"
    assert (await cli(monkeypatch, capsys, url, "export", "+33600000000"))[0] == 1

    rotated = {"SECRET_KEY": NEW_SECRET, "SECRET_KEY_PREVIOUS": SECRET}
    code, out = await cli(monkeypatch, capsys, url, "keys", "rotate", **rotated)
    assert code == 0 and "3 contact(s)" in out
    monkeypatch.delenv("SECRET_KEY_PREVIOUS")
    code, out = await cli(monkeypatch, capsys, url, "export", SMS_RESIDENT, SECRET_KEY=NEW_SECRET)
    assert code == 0 and json.loads(out)["contact"]["address"] == SMS_RESIDENT
    code, out = await cli(
        monkeypatch, capsys, url, "purge", "--older-than", "180d", SECRET_KEY=NEW_SECRET
    )
    assert code == 0 and "older than 180 days" in out
    assert (await cli(monkeypatch, capsys, url, "purge", "--older-than", "soon"))[0] == 2


async def test_rotation_rewrites_every_address_under_the_new_key(bot):
    await bot.say(SMS_RESIDENT, "bonjour")
    both = AddressCipher(NEW_SECRET, SECRET)
    async with bot.database.session() as session:
        rotated = await rotate_keys(session, both)
        await session.commit()
    assert rotated.contacts == 1 and rotated.outbox == 1
    new_only = AddressCipher(NEW_SECRET)
    async with bot.database.session() as session:
        repo = Repository(session, new_only)
        contact = await repo.find_contact(Address("sms", SMS_RESIDENT))
        assert repo.address_of(contact).value == SMS_RESIDENT
        item = (await session.execute(select(OutboxItem))).scalars().one()
        assert new_only.decrypt(item.recipient_encrypted) == SMS_RESIDENT
