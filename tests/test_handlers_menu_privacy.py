"""Menu, out of scope, talk to a person, emergency, STOP / START and erasure, end to end."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.store.models import Contact, Conversation, Message, OutboxItem, Ticket

PERSON = "+33600000401"


async def test_greeting_gives_the_numbered_menu_and_4_reaches_a_person(bot):
    menu = await bot.say(PERSON, "bonjour")
    assert [c.value for c in menu[0].choices] == [
        "find_place", "housing_internet", "find_mediator", "talk_to_human",
    ]  # fmt: skip
    assert [r.key for r in await bot.say(PERSON, "4")] == ["handoff"]


async def test_menu_choice_1_starts_the_place_dialogue(bot):
    await bot.say(PERSON, "bonjour")
    asked = await bot.say(PERSON, "1")
    assert asked[0].key == "ask_where" and asked[0].location_button


async def test_out_of_scope_says_what_the_bot_does_and_offers_a_person(bot):
    replies = await bot.say(PERSON, "mon chauffage est en panne")
    assert [r.key for r in replies] == ["out_of_scope.intro"]
    assert replies[0].choices[-1].value == "talk_to_human"


async def test_talk_to_human_hands_off(bot):
    assert [r.key for r in await bot.say(PERSON, "je veux parler a quelqu un")] == ["handoff"]


async def test_emergency_gives_15_and_112_first(bot):
    replies = await bot.say(PERSON, "mon pere fait un malaise il respire mal")
    assert replies[0].key == "emergency.medical"
    assert "15" in replies[0].text and "112" in replies[0].text
    assert replies[-1].key == "handoff"


async def test_stop_silences_everything_until_start(bot):
    stop = await bot.say(PERSON, "STOP")
    assert [r.key for r in stop] == ["stop.confirm"]
    assert await bot.say(PERSON, "bonjour") == []
    assert await bot.say(PERSON, "ou imprimer a bellevue") == []
    assert [r.key for r in await bot.say(PERSON, "START")] == ["start.confirm"]
    assert (await bot.say(PERSON, "bonjour"))[0].key == "menu.intro"


async def test_forget_erases_the_person_from_every_table(bot):
    await bot.say(PERSON, "ou imprimer a bellevue")
    await bot.say(PERSON, "je veux parler a quelqu un")
    replies = await bot.say(PERSON, "supprimer mes données")
    assert [r.key for r in replies] == ["forget.confirm"]
    async with bot.database.session() as session:
        for model in (Contact, Conversation, Message, Ticket):
            count = await session.scalar(select(func.count()).select_from(model))
            assert count == 0, model.__tablename__
        kept = await session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.contact_id.is_not(None))
        )
        assert kept == 0
    again = await bot.say(PERSON, "bonjour")
    assert again[0].key == "menu.intro"  # a stranger again: nothing was remembered
