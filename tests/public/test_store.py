"""Public figures: counted by distinct people, no cell under 5, no text or address."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.content import load_content
from bot.public.page import csv_text
from bot.public.store import public_figures
from tests.harness import CONTENT_DIR
from tests.public.figures import seed

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def test_small_cells_are_left_out(sqlite_database):
    await seed(sqlite_database, NOW)
    async with sqlite_database.session() as session:
        figures = await public_figures(session, NOW)
    assert figures.by_topic == [("2026-11", "caf", "bellevue", 7, 7)]
    assert figures.hidden == 1  # ANTS in Saint-Marc: 2 people
    ((month, share),) = figures.answered
    assert month == "2026-11" and abs(share - 8 / 9) < 1e-9
    assert figures.time_to_person == [("2026-11", 30.0)]
    assert figures.places == [("fs-594", 6)]


async def test_csv_has_the_same_figures_and_no_personal_data(sqlite_database):
    await seed(sqlite_database, NOW)
    async with sqlite_database.session() as session:
        figures = await public_figures(session, NOW)
    text = csv_text(figures, load_content(CONTENT_DIR))
    lines = text.splitlines()
    assert lines[0] == "table,mois,sujet_ou_lieu,quartier,valeur"
    assert "questions,2026-11,CAF,Bellevue,7" in lines
    assert "lieux_demandes,,France services Pimms Médiation Brest - Kérédern,,6" in lines
    assert "Saint-Marc" not in text and "hash" not in text and "+33" not in text


async def test_nothing_shown_under_five_people(sqlite_database):
    async with sqlite_database.session() as session:
        figures = await public_figures(session, NOW)
    assert figures.by_topic == [] and figures.answered == [] and figures.places == []
