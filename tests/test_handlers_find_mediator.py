"""find_mediator: help with a procedure, through the real engine, storage and content."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.content import load_content
from bot.store.models import Ticket
from tests.harness import CONTENT_DIR, ConversationBot

PERSON = "+33600000301"


async def test_topic_advice_then_where_then_places_and_next_ones(bot):
    first = await bot.say(PERSON, "j'ai besoin d'aide pour ma caf")
    assert [r.key for r in first] == ["mediator.topic", "ask_where"]
    assert "apportez" in first[0].text and "32 30" in first[0].text
    assert "Rendez-vous conseillé" in first[0].text
    places = await bot.say(PERSON, "lambezellec")
    assert [r.key for r in places] == ["place.card", "place.card"]
    assert places[0].venue is not None and "PLUS" in places[-1].text
    more = await bot.say(PERSON, "suivant")
    assert more[0].key == "place.card" and more[0].text != places[0].text


async def test_place_in_first_message_answers_at_once(bot):
    replies = await bot.say(PERSON, "aide pour ma carte grise a lambezellec")
    assert [r.key for r in replies][-1] == "mediator.topic"
    assert replies[0].key == "place.card" and "Sur rendez-vous" in replies[-1].text


async def test_topic_without_places_gives_the_desk_then_asks_where_for_any_helper(bot):
    replies = await bot.say(PERSON, "aide pour mon dossier de logement social")
    assert [r.key for r in replies] == ["mediator.topic", "ask_where"]
    assert "Où aller" in replies[0].text
    assert "01 70 772 372" not in replies[0].text  # Solidarité Numérique: to check, not said


async def test_topic_with_nothing_in_content_hands_off_with_the_topic(sqlite_database):
    content = load_content(CONTENT_DIR)
    topics = {k: v for k, v in content.topics.items() if k != "caf"}
    bot = ConversationBot(sqlite_database, replace(content, topics=topics))
    replies = await bot.say(PERSON, "j'ai besoin d'aide pour ma caf")
    assert [r.key for r in replies] == ["handoff"]
    async with bot.database.session() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.topic == "caf" and ticket.reason == "no_answer"
