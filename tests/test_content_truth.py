"""Issue 17: what a resident meets is true, dated, and never 'call' without a number."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.content import load_content
from bot.content.hours import BREST_TZ
from bot.content.kinds import counts_by_kind_and_quartier
from bot.content.stops import is_stop
from tests.harness import ConversationBot

CONTENT = Path(__file__).resolve().parent.parent / "content"
TODAY = date(2026, 11, 28)
PERSON = "+33600000171"
TUESDAY_MORNING = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # 9:30 in Brest


@pytest.fixture(scope="module")
def content():
    return load_content(CONTENT, TODAY)


def test_saint_marc_has_a_place_and_each_mediatheque_is_its_own_row(content):
    names = [p.nom for p in content.places if not is_stop(p)]
    assert "Médiathèque de Saint-Marc" in names
    assert content.place("med-saint-marc").quartier == "saint-marc"
    mediatheques = [n for n in names if n.lower().startswith("médiathèque")]
    assert mediatheques and all(" et " not in n and "," not in n for n in mediatheques)


def test_no_place_is_located_from_road_accident_records(content):
    for place_id in ("mq-saint-pierre", "mq-bellevue", "mq-lambezellec", "ac-5853"):
        assert content.place(place_id).latitude is None


def test_the_bus_is_itinerant_and_placed_only_at_its_stops(content):
    bus = content.place("fs-1874")
    assert bus.itinerance == "Itinérant" and bus.latitude is None
    stops = [p for p in content.places if p.id.startswith("fs-1874@")]
    assert {"Centre social de Kerourien", "Centre social de Kerangoff"} <= {
        s.adresse for s in stops
    }
    kerourien = next(s for s in stops if "Kerourien" in s.adresse)
    assert kerourien.hours.is_open(datetime(2026, 12, 1, 10, 0, tzinfo=BREST_TZ))  # Tuesday
    assert not kerourien.hours.is_open(datetime(2026, 12, 2, 10, 0, tzinfo=BREST_TZ))


def test_unverified_helplines_are_kept_from_residents(content):
    for topic in content.topics.values():
        assert all(line.verified and not line.to_check for line in topic.helplines)
    assert all(line.source for topic in content.topics.values() for line in topic.unverified)


def test_ants_is_not_sent_to_a_mairie(content):
    assert "mairie" not in content.topics["ants"].place_kinds


def test_the_menu_offers_no_service_no_place_gives(content):
    offered = set().union(*(p.services_bot for p in content.places))
    menu = content.texts.say("menu.find_place", "fr").lower()
    assert "wifi" in offered or "wifi" not in menu
    assert "1 €" not in content.texts.say("menu.housing_internet", "fr")


def test_counts_by_kind_and_quartier(content):
    counts = counts_by_kind_and_quartier(p for p in content.places if not is_stop(p))
    assert counts[("mediatheque", "saint-marc")] == 1
    assert sum(counts.values()) == 20


async def test_stale_places_show_their_year_and_call_only_with_digits(sqlite_database):
    bot = ConversationBot(sqlite_database, now=TUESDAY_MORNING)
    cards = []
    for where in ("bellevue", "saint-pierre", "lambezellec", "europe"):
        await bot.say(PERSON, "je cherche un ordinateur")
        cards += [r.text for r in await bot.say(PERSON, where) if r.key == "place.card"]
        cards += [r.text for r in await bot.say(PERSON, "plus") if r.key == "place.card"]
    assert cards and any("(infos de 20" in text for text in cards)
    for text in cards:
        if "appel" in text.lower():
            assert re.search(r"\d\d \d\d \d\d \d\d", text), text


async def test_a_place_without_hours_gives_its_structure_number(sqlite_database, tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    (target / "structures.yaml").write_text(
        'structures: {}\nstandard_mairie:\n  telephone: "02 00 00 00 00"\n'
        '  source: "test: numéro fictif"\n  verifie_le: 2026-11-01\n',
        encoding="utf-8",
    )
    content = load_content(target, TODAY)
    mairie = content.place("mq-europe")
    assert content.phones.for_place(mairie.telephone, mairie.structure) == "02 00 00 00 00"
    bot = ConversationBot(sqlite_database, content=content, now=TUESDAY_MORNING)
    await bot.say(PERSON, "je cherche un ordinateur")
    cards = [r.text for r in await bot.say(PERSON, "pontanezen") if r.key == "place.card"]
    cards += [r.text for r in await bot.say(PERSON, "plus") if r.key == "place.card"]
    mairie_card = next(text for text in cards if text.startswith("Mairie de quartier Europe"))
    assert "appelez avant : 02 00 00 00 00" in mairie_card


def test_housing_not_in_list_says_the_date_not_a_vote(content):
    text = content.texts.say("housing.not_active", "fr", near="Recouvrance", date="01/01/2023")
    assert "pas dans ma liste" in text and "01/01/2023" in text and "voté" in text


async def test_a_helpline_verified_long_ago_shows_its_year(sqlite_database):
    bot = ConversationBot(sqlite_database, now=TUESDAY_MORNING)
    replies = await bot.say(PERSON, "j'ai besoin d'aide pour mon compte ameli")
    advice = next(r.text for r in replies if r.key == "mediator.topic")
    assert "36 46" in advice and "(infos de 2020)" in advice


def test_cli_stats_counts_places_by_kind_and_quartier(capsys):
    import argparse

    from bot.content.cli import add_content_commands

    parser = argparse.ArgumentParser()
    add_content_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["content", "stats", str(CONTENT)])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "mediatheque\tsaint-marc\t1" in out and out.strip().endswith("total\t\t20")


async def test_the_bus_answers_with_its_next_stop_near_the_resident(sqlite_database):
    bot = ConversationBot(sqlite_database, now=TUESDAY_MORNING)
    await bot.say(PERSON, "aide pour la caf")
    replies = await bot.say(PERSON, "kerourien")
    cards = [r for r in replies if r.key == "place.card"]
    assert cards[0].text.startswith(
        "Bus France services Pimms Médiation Brest, Centre social de Kerourien"
    )
    assert "Ouvert aujourd'hui 9h-12h" in cards[0].text  # Tuesday morning at Kerourien
