"""find_place: whole conversations through the real engine, storage and content."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.harness import ConversationBot

PERSON = "+33600000101"
SUNDAY_NIGHT = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)  # 23:00 in Brest: all closed
CHRISTMAS_MORNING = datetime(2026, 12, 25, 9, 30, tzinfo=UTC)  # a Friday, public holiday


async def test_location_given_later_answers_nearest_places(bot):
    asked = await bot.say(PERSON, "je cherche un ordinateur")
    assert [r.key for r in asked] == ["ask_where"]
    assert (
        asked[0].location_button and asked[0].text == "Dans quel quartier ou près de quelle rue ?"
    )
    cards = await bot.say(PERSON, "bellevue")
    assert [r.key for r in cards] == ["place.card", "place.card"]
    assert cards[0].venue is not None and cards[1].venue is None
    assert " à " in cards[0].text and (" m." in cards[0].text or " km." in cards[0].text)


async def test_telegram_location_answers_without_asking(bot):
    replies = await bot.say("4242", "", channel="telegram", location=(48.4084, -4.4982))
    assert replies[0].key == "place.card" and replies[0].venue is not None


async def test_plus_gives_the_next_places_until_none_is_left(bot):
    first = await bot.say(PERSON, "ou imprimer a bellevue")
    assert "PLUS" in first[-1].text and first[-1].choices[0].value == "more"
    seen = {r.venue.name for r in first if r.venue}
    names = [r.text.split(",")[0] for r in first]
    for word in ("1", "suivant", "plus", "plus", "plus"):
        page = await bot.say(PERSON, word)
        if page[0].key == "place.no_more":
            break
        names += [r.text.split(",")[0] for r in page]
        seen |= {r.venue.name for r in page if r.venue}
    else:
        raise AssertionError("never reached the end of the list")
    assert len(names) == len(set(names)) >= 3


async def test_open_now_lists_only_open_places(bot):
    replies = await bot.say(PERSON, "un ordi ouvert maintenant a lambezellec")
    assert replies and all("Ouvert aujourd'hui" in r.text for r in replies)


async def test_open_now_with_nothing_open_says_when_each_opens(bot):
    bot.now = SUNDAY_NIGHT
    replies = await bot.say(PERSON, "un ordi ouvert maintenant a lambezellec")
    assert replies[0].key == "place.none_open"
    assert all("ouvre demain à" in r.text or "ouvre " in r.text for r in replies[1:])
    assert len(replies) > 1


async def test_places_are_closed_on_public_holidays(sqlite_database):
    bot = ConversationBot(sqlite_database, now=CHRISTMAS_MORNING)
    replies = await bot.say(PERSON, "scanner un document a quatre moulins")
    assert "Pimms" in replies[0].text and "Fermé, ouvre demain à 9h" in replies[0].text


async def test_unknown_place_asked_again_then_handed_off(bot):
    first = await bot.say(PERSON, "ordi a kerfoobar")
    assert first[0].key == "place.unknown_near" and "kerfoobar" in first[0].text
    second = await bot.say(PERSON, "kerzorglub")
    assert [r.key for r in second] == ["handoff"]


async def test_unknown_place_then_known_place_answers(bot):
    await bot.say(PERSON, "imprimer a kerfoobar")
    replies = await bot.say(PERSON, "lambezellec")
    assert replies[0].key == "place.card"
