"""Abuse limits through the real engine: a flood is stored, warned once, then met with
silence; mediators are not flooded; hand-offs are capped per day but emergencies pass."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.conversation.limits import CAPPED_KEY, RATE_LIMIT, TICKETS_PER_DAY, WARNING_KEY
from bot.store.models import Message, Ticket

FLOODER = "+33600000666"
HUMAN = "je voudrais parler a quelqu'un"


class RecordingNotifier:
    """What the mediators' group would be told."""

    def __init__(self) -> None:
        self.posts: list[str] = []

    async def ticket_opened(self, repo, ticket, now) -> None:  # noqa: ANN001
        self.posts.append(f"ticket {ticket.id}")

    async def ticket_message(self, repo, ticket, message, now) -> None:  # noqa: ANN001
        self.posts.append(message.text)


async def count(bot, model, *where) -> int:  # noqa: ANN001
    async with bot.database.session() as session:
        query = select(func.count()).select_from(model).where(*where)
        return (await session.execute(query)).scalar_one()


async def test_a_flood_is_stored_warned_once_then_silent_until_the_rate_drops(bot) -> None:
    answered = [await bot.say(FLOODER, f"bonjour {n}") for n in range(RATE_LIMIT)]
    assert all(answered)
    flood = [await bot.say(FLOODER, f"bonjour {n}") for n in range(100 - RATE_LIMIT)]
    assert [r.key for r in flood[0]] == [WARNING_KEY]
    assert "15 ou 112" in flood[0][0].text
    assert all(replies == [] for replies in flood[1:])
    assert await count(bot, Message, Message.direction == "in") == 100  # nothing lost
    bot.now += timedelta(minutes=2)
    assert (await bot.say(FLOODER, "menu"))[0].choices  # answered again


async def test_stop_passes_the_rate_limit(bot) -> None:
    for n in range(RATE_LIMIT + 5):
        await bot.say(FLOODER, f"bonjour {n}")
    assert "START" in (await bot.say(FLOODER, "STOP"))[0].text


async def test_mediators_are_not_flooded_while_a_sender_is_throttled(bot) -> None:
    bot.engine.notifier = notifier = RecordingNotifier()
    await bot.say(FLOODER, HUMAN)
    for n in range(60):
        await bot.say(FLOODER, f"message {n}")
    assert notifier.posts == ["ticket 1"] + [f"message {n}" for n in range(RATE_LIMIT - 1)]
    assert await count(bot, Message, Message.ticket_id == 1) == 61  # all in the inbox


async def test_hand_offs_are_capped_per_day_but_emergencies_pass(bot) -> None:
    for _ in range(TICKETS_PER_DAY):
        assert (await bot.say(FLOODER, HUMAN))[-1].key == "handoff"
        await close_tickets(bot)
        bot.now += timedelta(hours=1)
    assert [r.key for r in await bot.say(FLOODER, HUMAN)] == [CAPPED_KEY]
    assert await count(bot, Ticket) == TICKETS_PER_DAY
    await bot.say(FLOODER, "urgence mon pere a fait un malaise")
    assert await count(bot, Ticket) == TICKETS_PER_DAY + 1
    await close_tickets(bot)
    bot.now += timedelta(days=1)
    assert (await bot.say(FLOODER, HUMAN))[-1].key == "handoff"


async def close_tickets(bot) -> None:  # noqa: ANN001
    async with bot.database.session() as session:
        for ticket in (await session.execute(select(Ticket))).scalars():
            ticket.status = "closed"
        await session.commit()
