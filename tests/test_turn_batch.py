"""Turns in batches: several messages of several people answered in one transaction, each
once and in order, as one by one; a poison message holds up no other; two engines on one
PostgreSQL never answer a message twice; the sweep leaves alone what is on its way."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from bot.conversation.engine import Accepted, Engine
from bot.gateway.outbox import Handover
from bot.gateway.runtime import Intake
from bot.messages import Address, InboundMessage
from bot.store.db import Database
from bot.store.models import Message, OutboxItem
from tests.databases import migrated_database
from tests.harness import ConversationBot

# Two people talking at once: a menu pick, a hand-off, then a message to the open ticket.
SCRIPT = [("A", "bonjour"), ("B", "bonjour"), ("A", "1"), ("B", "4"), ("B", "encore moi")]


async def accept(bot: ConversationBot, who: str, text: str) -> Accepted:
    inbound = InboundMessage(Address("sms", who), text, uuid.uuid4().hex, bot.now)
    accepted = await bot.engine.accept(inbound)
    assert accepted is not None
    return accepted


def keys_by_person(bot: ConversationBot, numbers: dict[str, str]) -> dict[str, list[str | None]]:
    return {
        name: [reply.key for to, reply in bot.sent if to.value == number]
        for name, number in numbers.items()
    }


async def test_a_batch_answers_as_one_turn_at_a_time(database) -> None:
    bot = ConversationBot(database)
    alone = {"A": "+33600000001", "B": "+33600000002"}
    for who, text in SCRIPT:
        await bot.engine.process(await accept(bot, alone[who], text))
    batched = {"A": "+33600000011", "B": "+33600000012"}
    await bot.engine.process_batch([await accept(bot, batched[who], text) for who, text in SCRIPT])
    await bot.flush()
    one_by_one, together = keys_by_person(bot, alone), keys_by_person(bot, batched)
    assert together == one_by_one
    assert together["B"][-1] == "ticket.relayed"  # the 3rd message saw the 2nd's ticket
    async with database.session() as session:
        waiting = select(func.count()).where(
            Message.direction == "in", Message.processed_at.is_(None)
        )
        assert (await session.execute(waiting)).scalar_one() == 0


async def test_a_poison_message_holds_up_no_other_in_its_batch(database) -> None:
    bot = ConversationBot(database)
    real_turn = bot.engine._turn

    async def turn(repo, state):  # noqa: ANN001, ANN202
        if state.message.text == "poison":
            raise RuntimeError("a handler's bug")
        return await real_turn(repo, state)

    bot.engine._turn = turn  # type: ignore[method-assign]
    numbers = ["+33600000021", "+33600000022", "+33600000023"]
    texts = ["bonjour", "poison", "bonjour"]
    batch = [await accept(bot, n, t) for n, t in zip(numbers, texts, strict=True)]
    await bot.engine.process_batch(batch)
    await bot.flush()
    assert sorted(to.value for to, _ in bot.sent) == [numbers[0], numbers[2]]
    async with database.session() as session:
        poison = await session.get_one(Message, batch[1].message_id)
        assert (poison.processed_at, poison.turn_attempts) == (None, 1)


async def test_two_engines_never_answer_a_message_twice(tmp_path) -> None:
    async with migrated_database("postgresql", tmp_path) as database:
        bot = ConversationBot(database)
        other = Database(database.url)
        try:
            twin = Engine(other, bot.cipher, bot.engine.content, clock=lambda: bot.now)
            people = [f"+336000001{n:02d}" for n in range(5)]
            batch = [await accept(bot, who, "bonjour") for _ in range(4) for who in people]
            await asyncio.gather(bot.engine.process_batch(batch), twin.process_batch(batch[::-1]))
        finally:
            await other.close()
        async with database.session() as session:
            replies = select(OutboxItem.contact_id, func.count()).group_by(OutboxItem.contact_id)
            counts = (await session.execute(replies)).all()
        assert sorted(n for _, n in counts) == [4] * 5  # one menu per "bonjour"


async def test_the_sweep_leaves_alone_what_is_on_its_way(database) -> None:
    bot = ConversationBot(database)
    intake = Intake(database, bot.cipher, bot.engine, Handover())
    batches: list[list[int]] = []
    run_batch = bot.engine.process_batch

    async def recording(batch, lease):  # noqa: ANN001, ANN202
        batches.append([accepted.message_id for accepted in batch])
        return await run_batch(batch, lease)

    bot.engine.process_batch = recording  # type: ignore[method-assign]
    queued = [await accept(bot, f"+3360000003{n}", "bonjour") for n in range(3)]
    intake.queue(queued)
    left = await accept(bot, "+33600000039", "bonjour")  # stored, its turn lost (a crash)
    assert await intake.sweep() == 1  # only the one nobody holds
    await intake.drain()
    answered = sorted(message_id for batch in batches for message_id in batch)
    assert answered == sorted(a.message_id for a in [*queued, left])  # each once
    assert await intake.sweep() == 0
    await bot.flush()
    assert len(bot.sent) == 4
