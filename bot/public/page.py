"""/public rendered on the server (plain HTML, no script) and the same figures as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from bot.public.store import MIN_PEOPLE, Figures

if TYPE_CHECKING:
    from bot.content import Content

INTENT_NAMES = {
    "find_place": "Trouver un lieu (ordinateur, impression)",
    "housing_internet": "Internet en habitat social",
    "find_mediator": "Aide pour une démarche",
    "talk_to_human": "Parler à une personne",
}
STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1b1b}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9rem}
"""


def topic_name(topic: str, content: Content) -> str:
    """A topic as residents read it: 'CAF', 'Trouver un lieu'..."""
    if content is not None and topic in content.topics:
        return str(content.topics[topic].name)
    return INTENT_NAMES.get(topic, topic)


def quartier_name(quartier: str, content: Content) -> str:
    """A gazetteer quartier's name, or 'non précisé'."""
    if not quartier:
        return "non précisé"
    for entry in content.gazetteer if content is not None else ():
        if entry.id == quartier:
            return str(entry.name)
    return quartier


def place_name(place_id: str, content: Content) -> str:
    """A place's name from the content (the id if it has gone since)."""
    try:
        return str(content.place(place_id).nom)
    except (KeyError, AttributeError):
        return place_id


def rows(figures: Figures, content: Content) -> list[tuple[str, str, str, str, str]]:
    """Every figure as (table, month, what, where, value): the CSV and the HTML share them."""
    found = [
        ("questions", m, topic_name(t, content), quartier_name(q, content), str(people))
        for m, t, q, _, people in figures.by_topic
    ]
    found += [("repondu_par_le_bot", m, "", "", f"{share:.0%}") for m, share in figures.answered]
    found += [
        ("delai_median_personne_min", m, "", "", f"{minutes:.0f}")
        for m, minutes in figures.time_to_person
    ]
    found += [("lieux_demandes", "", place_name(p, content), "", str(n)) for p, n in figures.places]
    return found


def csv_text(figures: Figures, content: Content) -> str:
    """The figures as CSV: table, mois, sujet_ou_lieu, quartier, valeur."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("table", "mois", "sujet_ou_lieu", "quartier", "valeur"))
    writer.writerows(rows(figures, content))
    return out.getvalue()


def _table(caption: str, head: tuple[str, ...], body: Sequence[tuple[str, ...]]) -> str:
    if not body:
        too_few = "pas encore assez de personnes pour le montrer"
        return f"<p class='note'>{escape(caption)} : {too_few}.</p>"
    cells = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i == len(r) - 1 else ''}>{escape(v)}</td>"
                         for i, v in enumerate(r)) + "</tr>"
        for r in body
    )  # fmt: skip
    header = "".join(f"<th scope='col'>{escape(h)}</th>" for h in head)
    return f"<table><caption>{escape(caption)}</caption><tr>{header}</tr>{cells}</table>"


def html_page(figures: Figures, content: Content, now: datetime) -> str:
    """The whole page, with only server-rendered HTML."""
    found = rows(figures, content)
    pick = {name: [r[1:] for r in found if r[0] == name] for name in {r[0] for r in found}}
    questions = [(m, t, q, v) for m, t, q, v in pick.get("questions", [])]
    answered = [(m, v) for m, _, _, v in pick.get("repondu_par_le_bot", [])]
    waits = [(m, f"{v} min") for m, _, _, v in pick.get("delai_median_personne_min", [])]
    places = [(name, v) for _, name, _, v in pick.get("lieux_demandes", [])]
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aide numérique à Brest : les chiffres publics</title><style>{STYLE}</style></head>
<body><main>
<h1>Aide numérique à Brest : ce que les habitants demandent</h1>
<p>Chiffres anonymes du service d'orientation (SMS et Telegram), sur les 12 derniers mois,
mis à jour le {now:%d/%m/%Y}. Aucun message, aucun numéro : seulement des comptes de
personnes, jamais pour moins de {MIN_PEOPLE} personnes
({figures.hidden} case(s) trop petite(s) non montrée(s)).
<a href="/public.csv">Télécharger ces chiffres (CSV)</a>.</p>
<h2>Questions par sujet et par quartier</h2>
{
        _table(
            "Personnes ayant posé une question, par mois, sujet et quartier",
            ("Mois", "Sujet", "Quartier", "Personnes"),
            questions,
        )
    }
<h2>Part des questions auxquelles le service a répondu seul</h2>
{_table("Part répondue sans passer à une personne, par mois", ("Mois", "Part"), answered)}
<h2>Délai médian avant la réponse d'une personne</h2>
{
        _table(
            "Délai médian entre la demande et la première réponse d'un médiateur",
            ("Mois", "Délai médian"),
            waits,
        )
    }
<h2>Lieux les plus demandés</h2>
{_table("Lieux proposés au plus de personnes", ("Lieu", "Personnes"), places)}
</main></body></html>
"""
