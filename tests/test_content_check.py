"""`content check`: the shipped content passes; each kind of error is reported at file:line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.content import ContentError, check_content, load_content
from bot.content.csvfile import read_rows
from bot.content.places import PLACES_FILE

CONTENT = Path(__file__).resolve().parent.parent / "content"
TODAY = date(2026, 11, 28)

# (label, file, text to replace, replacement, expected message fragment)
BROKEN = [
    ("header", "lieux.csv", ",prise_rdv\n", ",rdv\n", "colonnes du schéma national"),
    (
        "enumeration",
        "lieux.csv",
        "Gratuit,France Services",
        "Gratos,France Services",
        "frais_a_charge: valeur inconnue",
    ),
    ("horaires", "lieux.csv", "Mo 14:00-17:00; Tu-Fr", "Lundi 14h; Tu-Fr", "horaires invalides"),
    (
        "outside France",
        "lieux.csv",
        "48.40993,-4.47132,RFS",
        "48.40993,14.47132,RFS",
        "hors de France",
    ),
    (
        "coordinate type",
        "lieux.csv",
        "48.40842,-4.49822",
        "quarante,-4.49822",
        "coordonnées invalides",
    ),
    (
        "required",
        "lieux.csv",
        "France services Pimms Médiation Brest - Kérédern",
        "",
        "champ obligatoire vide: nom",
    ),
    ("pivot", "lieux.csv", "fs-594,41848452300034", "fs-594,418-48", "pivot invalide"),
    ("duplicate id", "lieux.csv", "fs-594,", "fs-173,", "identifiant en double"),
    (
        "side file id",
        "lieux_complements.csv",
        "mq-europe,europe",
        "mq-nulle-part,europe",
        "absent de lieux.csv",
    ),
    (
        "side file quartier",
        "lieux_complements.csv",
        "mq-bellevue,bellevue",
        "mq-bellevue,bellevu",
        "quartier inconnu",
    ),
    (
        "side file topic",
        "lieux_complements.csv",
        "fs-173,europe,caf|",
        "fs-173,europe,cafe|",
        "thème inconnu",
    ),
    (
        "side file papi",
        "lieux_complements.csv",
        "mq-europe,europe,,oui",
        "mq-europe,europe,,peut-être",
        "papi doit valoir",
    ),
    (
        "side file date",
        "lieux_complements.csv",
        "internet|print,2019-05-13,",
        "internet|print,13/05/2019,",
        "verifie_le",
    ),
    ("gazetteer kind", "gazetteer.csv", "gare,repere,", "gare,monument,", "kind inconnu"),
    (
        "gazetteer quartier",
        "gazetteer.csv",
        ",saint-pierre,48.382950",
        ",st-p,48.382950",
        "quartier inconnu",
    ),
    (
        "gazetteer duplicate",
        "gazetteer.csv",
        "fac-segalen,repere",
        "gare,repere",
        "identifiant en double",
    ),
    (
        "gazetteer source",
        "gazetteer.csv",
        ",brest_quartiers.csv; INSEE 29019",
        ",",
        "source obligatoire",
    ),
    (
        "housing reference",
        "internet_habitat_social.yaml",
        "lieux: [kerourien]",
        "lieux: [kerourienn]",
        "référence inconnue",
    ),
    (
        "housing year",
        "internet_habitat_social.yaml",
        "annee_vote: 2009",
        "annee_vote: bientôt",
        "annee_vote",
    ),
    (
        "housing price",
        "internet_habitat_social.yaml",
        "prix_mensuel_eur: 1.24",
        "prix_mensuel_eur: gratuit",
        "prix_mensuel_eur",
    ),
    ("topic unknown", "aide_par_theme.yaml", "  msa:\n", "  msaa:\n", "thème inconnu 'msaa'"),
    (
        "topic helpline",
        "aide_par_theme.yaml",
        "lignes: [caf, solidarite",
        "lignes: [caff, solidarite",
        "ligne inconnue 'caff'",
    ),
    (
        "topic place kind",
        "aide_par_theme.yaml",
        "ou_aller: [mediateurs, france_services, conseiller_numerique]",
        "ou_aller: [mediateurs, mairie_annexe]",
        "type de lieu inconnu",
    ),
    (
        "helpline number",
        "aide_par_theme.yaml",
        'numero: "32 30"',
        'numero: "32 30 XX"',
        "numéro de téléphone invalide",
    ),
    ("text placeholder", "textes.yaml", "will reply {when}", "will reply {whenn}", "marqueurs"),
    (
        "text language",
        "textes.yaml",
        '  fr: "Je ne sais pas',
        '  de: "Je ne sais pas',
        "housing.unknown.de: langue inconnue",
    ),
    (
        "text braces",
        "textes.yaml",
        "A person will reply {when}.",
        "A person will reply {when.",
        "handoff.en",
    ),
    ("yaml syntax", "textes.yaml", "ask_where:\n", "ask_where: a: b\n", "YAML invalide"),
    (
        "mediators hours",
        "mediateurs.yaml",
        '"Mo-Fr 09:00-12:00,13:30-17:00; PH off"',
        '"du lundi au vendredi"',
        "horaires invalides",
    ),
]


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def test_shipped_content_passes_with_only_stale_warnings():
    content, problems = check_content(CONTENT, TODAY)
    assert content is not None, "\n".join(map(str, problems))
    # Warnings only: stale places, helplines kept from residents, referrals no place carries.
    expected = ("12 mois", "non dite aux habitants", "aucun lieu de ce type")
    assert all(
        p.severity == "warning" and any(word in p.message for word in expected) for p in problems
    )
    assert len(content.places) >= 19 and len(content.housing.sectors) == 15
    assert set(content.topics) >= {"caf", "cpam", "ants", "other"}


def test_every_shipped_place_has_a_source_date_and_coordinates_or_says_why_not():
    content = load_content(CONTENT, TODAY)
    _, rows = read_rows(CONTENT / PLACES_FILE)
    national_sources = {row["id"]: row["source"] for _, row in rows}
    _, sides = read_rows(CONTENT / "lieux_complements.csv")
    notes = {row["id"]: row["notes"] for _, row in sides}
    for place in content.places:
        base = place.id.split("@")[0]  # a bus stop is its bus, at that stop
        assert place.source and place.verifie_le and national_sources[base]
        if place.latitude is None:
            # No point from road-accident records: itinerant, or to geocode with the BAN.
            assert place.itinerance == "Itinérant" or "BAN" in notes[place.id], place.id


@pytest.mark.parametrize(
    ("label", "name", "old", "new", "expected"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_each_error_is_reported_at_file_and_line(content_copy, label, name, old, new, expected):
    path = content_copy / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {name}: {old!r}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    content, problems = check_content(content_copy, TODAY)
    assert content is None
    found = [str(p) for p in problems if p.severity == "error"]
    assert any(p.startswith(f"{name}:{line}: ") and expected in p for p in found), found


def test_stale_places_are_warnings_not_errors(content_copy):
    content, problems = check_content(content_copy, date(2019, 6, 1))
    stale = [p for p in problems if "12 mois" in p.message]
    assert content is None or not stale
    _, problems = check_content(content_copy, TODAY)
    assert any(str(p).startswith("lieux_complements.csv:16: warning: mq-europe") for p in problems)


def test_load_content_raises_with_every_error(content_copy):
    (content_copy / "mediateurs.yaml").write_text("horaires: 'tous les jours'\n", encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_content(content_copy, TODAY)
    assert any(str(p).startswith("mediateurs.yaml:1: ") for p in raised.value.problems)
