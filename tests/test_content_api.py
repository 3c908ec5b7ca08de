"""What handlers use: texts, housing sectors, topics, mediators' hours, reload."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from bot.content import load_content
from bot.content.hours import BREST_TZ, place_hours
from bot.content.texts import SMS_MAX

CONTENT = Path(__file__).resolve().parent.parent / "content"
TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def content():
    return load_content(CONTENT, TODAY)


def test_texts_fill_placeholders_and_fall_back_to_french(content):
    assert content.texts.say("handoff", when="demain") == (
        "Je transmets votre message. Une personne va vous répondre demain."
    )
    assert content.texts.say("handoff", "en", when="tomorrow").endswith("reply tomorrow.")
    assert content.texts.say("ask_where", "ar") == "Dans quel quartier ou près de quelle rue ?"
    assert content.texts.placeholders("place.card") == {"name", "address", "distance"}
    with pytest.raises(KeyError):
        content.texts.say("no.such.key")


def test_required_texts_exist_and_fit_in_sms(content):
    for key in ("menu.intro", "handoff", "ask_where", "stop.confirm", "start.confirm",
                "forget.confirm", "emergency.medical", "out_of_scope", "clarify"):  # fmt: skip
        assert key in content.texts
        assert len(content.texts.entries[key]["fr"]) <= SMS_MAX
    assert "15" in content.texts.say("emergency.medical")  # one sentence per kind of emergency


def test_housing_sectors_with_vote_year(content):
    offer = content.housing
    assert offer.price_eur == 1.24 and offer.price_date == date(2023, 1, 1)
    (kerourien,) = offer.sectors_for("kerourien")
    assert kerourien.vote_year == 2009 and kerourien.quartier == "saint-pierre"
    assert {s.name for s in offer.sectors_for("bellevue")} >= {"Bellevue Kerbernier"}
    assert offer.sectors_for("recouvrance") == ()


def test_topics_and_places(content):
    caf = content.topics["caf"]
    assert "france_services" in caf.place_kinds and caf.helplines[0].number == "32 30"
    # Solidarité Numérique was reported closed in 2022: named, but kept from residents.
    other = content.topics["other"]
    assert not any(h.number == "01 70 772 372" for h in other.helplines)
    assert any(h.number == "01 70 772 372" and h.to_check for h in other.unverified)
    france_services = [p for p in content.places if "caf" in p.themes]
    assert {p.id for p in france_services} >= {"fs-173", "fs-594", "fs-temp_50"}
    papi = [p for p in content.places if p.papi]
    assert len(papi) == 5 and all("internet" in p.services_bot for p in papi)
    kered = content.place("fs-594")
    assert kered.hours.is_open(datetime(2026, 11, 24, 10, 0, tzinfo=BREST_TZ))  # a Tuesday
    assert not kered.hours.is_open(datetime(2026, 11, 23, 10, 0, tzinfo=BREST_TZ))  # Monday 10h


def test_mediators_hours(content):
    assert content.mediators.on_duty(datetime(2026, 11, 24, 10, 0, tzinfo=BREST_TZ))
    assert not content.mediators.on_duty(datetime(2026, 11, 28, 10, 0, tzinfo=BREST_TZ))
    assert content.mediators.next_shift(datetime(2026, 11, 28, 10, 0, tzinfo=BREST_TZ)).day == 30


def test_gazetteer_knows_residents_short_forms(content):
    aliases = {alias for entry in content.gazetteer for alias in (entry.name, *entry.aliases)}
    for short in ("pontan", "recou", "lambé", "lambe", "Kérourien", "St Pierre", "4 Moulins",
                  "la fac", "la gare", "siam", "29200", "capucins"):  # fmt: skip
        assert short in aliases


def test_language_is_loaded_when_the_understanding_ships_it(content):
    if (CONTENT / "langue").exists():
        assert content.language is not None


@pytest.mark.parametrize(
    ("expression", "open_on_christmas"),
    [
        ("Mo-Su 09:00-18:00", False),  # no PH rule: closed on public holidays
        ("Mo-Su 09:00-18:00; PH 10:00-12:00", True),
        ("24/7", True),
    ],
)
def test_places_close_on_public_holidays_unless_their_hours_say_otherwise(
    expression, open_on_christmas
):
    christmas_eleven = datetime(2026, 12, 25, 11, 0, tzinfo=BREST_TZ)
    assert place_hours(expression).is_open(christmas_eleven) is open_on_christmas
