"""The engine's turn, through whole conversations on the real engine and storage."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.messages import Address, InboundMessage
from bot.store.models import Contact, Conversation, Message, OutboxItem, Ticket
from tests.harness import ConversationBot

AMINA = "+33612345642"


async def count(database, model, *where) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return (await session.execute(query)).scalar_one()


async def test_bonjour_gets_the_menu_and_a_number_picks_from_it(bot):
    [menu] = await bot.say(AMINA, "bonjour")
    assert [c.value for c in menu.choices] == [
        "find_place",
        "housing_internet",
        "find_mediator",
        "talk_to_human",
    ]
    replies = await bot.say(AMINA, "4")
    assert await count(bot.database, Ticket) == 1
    assert replies and replies[-1].key == "handoff"


async def test_every_message_and_reply_is_stored_with_what_was_understood(bot):
    await bot.say(AMINA, "bonjour")
    async with bot.database.session() as session:
        rows = (await session.execute(select(Message).order_by(Message.id))).scalars().all()
    assert [(m.direction, m.intent) for m in rows] == [("in", "greeting"), ("out", None)]
    assert rows[0].confidence is not None and rows[0].processed_at is not None


async def test_unclear_twice_asks_once_then_hands_off(bot):
    [clarify] = await bot.say(AMINA, "zzkq vbnm")
    assert clarify.key == "clarify" and len(clarify.choices) == 4
    assert await count(bot.database, Ticket) == 0
    replies = await bot.say(AMINA, "qsdfgh jklm")
    assert replies[-1].key == "handoff"
    assert await count(bot.database, Ticket, Ticket.reason == "not_understood") == 1


async def test_while_a_ticket_is_open_messages_go_to_it_acknowledged_and_stop_passes(bot):
    await bot.say(AMINA, "je veux parler a un humain")
    [acknowledged] = await bot.say(AMINA, "bonjour ?")
    assert acknowledged.key == "ticket.relayed"
    async with bot.database.session() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        attached = await session.execute(select(Message).where(Message.ticket_id == ticket.id))
        assert len(attached.scalars().all()) == 2
    [confirmation] = await bot.say(AMINA, "STOP")
    assert confirmation.key == "stop.confirm"


async def test_stop_silences_everything_until_start(bot):
    [confirmation] = await bot.say(AMINA, "STOP")
    assert confirmation.key == "stop.confirm"
    assert await bot.say(AMINA, "bonjour") == []
    [welcome] = await bot.say(AMINA, "START")
    assert welcome.key == "start.confirm"
    assert (await bot.say(AMINA, "bonjour"))[0].key == "menu.intro"


async def test_oublie_erases_the_person_and_confirms(bot):
    await bot.say(AMINA, "je veux parler a quelqu'un")
    other = "+33700000002"
    await bot.say(other, "bonjour")
    [confirmation] = await bot.say(AMINA, "OUBLIE")
    assert confirmation.key == "forget.confirm"
    assert await count(bot.database, Contact) == 1
    assert await count(bot.database, Ticket) == 0
    assert await count(bot.database, Conversation) == 1
    assert await count(bot.database, OutboxItem, OutboxItem.contact_id.is_not(None)) == 1
    assert await count(bot.database, Message) == 2  # the other resident's message and reply


async def test_a_retried_platform_message_is_answered_once(bot):
    inbound = InboundMessage(Address("sms", AMINA), "bonjour", "SM-retry", bot.now)
    await bot.engine.handle(inbound)
    await bot.engine.handle(inbound)
    await bot.flush()
    assert len(bot.sent) == 1


async def test_state_survives_a_restart_and_accepted_messages_are_answered(sqlite_database):
    first = ConversationBot(sqlite_database)
    await first.say(AMINA, "bonjour")
    accepted = await first.engine.accept(
        InboundMessage(Address("sms", AMINA), "4", "SM-before-crash", first.now)
    )
    assert accepted is not None  # stored, then the process "crashed" before answering
    restarted = ConversationBot(sqlite_database, now=datetime(2026, 11, 25, 9, 5, tzinfo=UTC))
    assert await restarted.engine.process_pending() == 1
    await restarted.flush()
    assert [reply.key for _, reply in restarted.sent][-1] == "handoff"
    assert await count(sqlite_database, Ticket) == 1
