"""housing_internet: each outcome of the 1 EUR internet dialogue, through the real engine."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Ticket

PERSON = "+33600000201"


async def test_first_message_answers_both_questions_active_here(bot):
    replies = await bot.say(PERSON, "je suis locataire hlm a pontanezen, internet a 1 euro ?")
    assert [r.key for r in replies] == ["housing.active", "housing.subscribe", "housing.help"]
    facts = replies[0].text
    assert "Pontanezen" in facts and "(2020)" in facts and "1,24 €" in facts
    assert "prix au 01/01/2023" in facts  # a fact about the offer names its source date
    assert "Bmh" in replies[1].text


async def test_asks_tenant_then_where_then_not_active_yet(bot):
    asked = await bot.say(PERSON, "internet a 1 euro")
    assert [r.key for r in asked] == ["housing.ask_tenant"]
    where = await bot.say(PERSON, "oui")
    assert [r.key for r in where] == ["housing.ask_where"]
    replies = await bot.say(PERSON, "recouvrance")
    assert [r.key for r in replies] == ["housing.not_active", "housing.vote"]
    assert "liste au 01/01/2023" in replies[0].text and "vote" in replies[1].text


async def test_known_place_skips_where_question(bot):
    await bot.say(PERSON, "internet a 1 euro dans mon quartier keredern")
    replies = await bot.say(PERSON, "oui")
    assert replies[0].key == "housing.active" and "Keredern" in replies[0].text


async def test_not_a_tenant_offers_a_person(bot):
    await bot.say(PERSON, "internet a 1 euro")
    replies = await bot.say(PERSON, "non")
    assert [r.key for r in replies] == ["housing.not_tenant"]
    assert [c.value for c in replies[0].choices] == ["talk_to_human"]
    handed = await bot.say(PERSON, "1")
    assert [r.key for r in handed] == ["handoff"]


async def test_neighbourhood_with_sectors_asks_which_residence(bot):
    await bot.say(PERSON, "internet a 1 euro")
    await bot.say(PERSON, "oui")
    which = await bot.say(PERSON, "bellevue")
    assert which[0].key == "housing.which_sector" and "Kerbernier" in which[0].text
    replies = await bot.say(PERSON, "kerbernier")
    assert replies[0].key == "housing.active" and "Bellevue Kerbernier" in replies[0].text


async def test_unknown_residence_hands_off_with_the_answers(bot):
    await bot.say(PERSON, "internet a 1 euro")
    await bot.say(PERSON, "oui")
    replies = await bot.say(PERSON, "residence les jardins de kerfoobar")
    assert [r.key for r in replies] == ["housing.unknown", "handoff"]
    async with bot.database.session() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.reason == "unknown_residence"
    assert "locataire=yes" in ticket.summary and "kerfoobar" in ticket.summary


async def test_unclear_tenant_answer_is_asked_once_more(bot):
    await bot.say(PERSON, "internet a 1 euro a recouvrance")
    again = await bot.say(PERSON, "c'est pour internet a 1 euro")
    assert [r.key for r in again] == ["housing.ask_tenant"]
    handed = await bot.say(PERSON, "c'est pour internet a 1 euro")
    assert [r.key for r in handed] == ["handoff"]
