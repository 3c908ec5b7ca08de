"""Poison messages: a turn that keeps failing is retried with backoff, then a dead letter,
and never hides newer messages from the sweeper."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.messages import Address, InboundMessage
from bot.metrics import database_gauges, text_format
from bot.store.models import Message
from bot.store.poison import MAX_TURN_ATTEMPTS, dead_letters
from tests.inbox.gateway import running_gateway

POISON = 101  # more than one sweep takes


async def test_poison_messages_back_off_die_and_never_hide_newer_ones(tmp_path) -> None:
    async with running_gateway(tmp_path) as gw:
        engine = gw.runtime.engine
        clock = [gw.now]
        engine.clock = lambda: clock[0]
        real_turn = engine._turn

        async def turn(repo, state):  # noqa: ANN001, ANN202
            if state.message.text.startswith("poison"):
                raise RuntimeError("a handler's bug")
            return await real_turn(repo, state)

        engine._turn = turn
        for n in range(POISON):
            await engine.accept(message(f"+3361000{n:04d}", f"poison {n}", clock[0]))
        await engine.accept(message("+33612340000", "bonjour", clock[0]))
        assert await engine.process_pending() == 100  # all fail, each counted
        assert await engine.process_pending() == 2  # the last poison and the newer message
        await gw.flush()
        assert [to.value for to, _ in gw.sent] == ["+33612340000"]  # answered
        for _ in range(3 * MAX_TURN_ATTEMPTS):  # hours go by; sweeps take 100 at a time
            clock[0] += timedelta(hours=1)
            if not await engine.process_pending():
                break
        else:
            raise AssertionError("poison messages are still tried")
        async with gw.runtime.database.session() as session:
            assert await dead_letters(session) == POISON
            attempts = (await session.execute(select(Message.turn_attempts))).scalars().all()
            # (the server's own sweeper may count a failure too, at the same moment)
            assert min(a for a in attempts if a) >= MAX_TURN_ATTEMPTS
            scrape = text_format(await database_gauges(session)).decode()
        assert f"aiguillage_unanswered_dead_letters {float(POISON)}" in scrape
        await gw.add_mediator("Anne")
        await gw.login("Anne")
        page = await (await gw.client.get("/inbox/")).text()
        assert f"{POISON} message(s) d'habitants n'ont pas pu être traités" in page


def message(who: str, text: str, now) -> InboundMessage:  # noqa: ANN001
    return InboundMessage(Address("sms", who), text, uuid.uuid4().hex, now)


@pytest.mark.parametrize("seconds", [5, 10])
async def test_a_failed_turn_waits_its_backoff(tmp_path, seconds: int) -> None:
    async with running_gateway(tmp_path) as gw:
        engine, clock = gw.runtime.engine, [gw.now]
        engine.clock = lambda: clock[0]
        engine._turn = _failing
        await engine.accept(message("+33612340001", "x", clock[0]))
        for _ in range(seconds // 5):  # 1 failure: wait 5 s; 2 failures: wait 10 s
            clock[0] += timedelta(hours=1)
            assert await engine.process_pending() == 1
        clock[0] += timedelta(seconds=seconds - 1)
        assert await engine.process_pending() == 0
        clock[0] += timedelta(seconds=1)
        assert await engine.process_pending() == 1


async def _failing(repo, state) -> bool:  # noqa: ANN001
    raise RuntimeError("a handler's bug")
