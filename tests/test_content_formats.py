"""`content import --format`: each real source format, on a fixture in that format.

Fixtures are in tests/fixtures/content/. Their records are real Brest places (from the ANCT
and DORA data in content/), written in each source's documented layout; ids marked `test`
and the DILA phone number are made up.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content import check_content
from bot.content.addresses import AddressIndex, import_addresses, load_addresses, street_key
from bot.content.csvfile import read_rows
from bot.content.formats import datainclusion, dila, gogocarto
from bot.content.importer import import_places

CONTENT = Path(__file__).resolve().parent.parent / "content"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "content"
TODAY = date(2026, 11, 28)


def places_of(content_dir: Path) -> dict[str, dict[str, str]]:
    _, rows = read_rows(content_dir / "lieux.csv")
    return {row["id"]: row for _, row in rows}


def test_data_inclusion_structures_json(content_copy):
    """Schema: https://gip-inclusion.github.io/data-inclusion-schema/ (docs/structure.md)."""
    report = import_places(
        FIXTURES / "data_inclusion_structures.json", content_copy, source_format="data-inclusion"
    )
    assert report.added == ["dora--1a71d34b-3bca-4bf3-8218-bd531262144d"] and not report.rejected
    row = places_of(content_copy)[report.added[0]]
    assert row["pivot"] == "31501307800011" and row["latitude"] == "48.405483"
    assert row["date_maj"] == "2022-05-08" and row["source"] == "data·inclusion (dora)"
    assert check_content(content_copy, TODAY)[0] is not None


def test_data_inclusion_services_csv_keep_two_services_at_one_address_apart(content_copy):
    """Schema: https://gip-inclusion.github.io/data-inclusion-schema/ (docs/service.md)."""
    source = FIXTURES / "data_inclusion_services.csv"
    report = import_places(source, content_copy, source_format="data-inclusion")
    assert sorted(report.added) == ["dora--svc-atelier", "dora--svc-materiel"]
    places = places_of(content_copy)
    materiel = places["dora--svc-materiel"]
    assert materiel["services"].split("|") == [
        "Accès internet et matériel informatique",
        "Maîtrise des outils numériques du quotidien",
    ]
    assert materiel["frais_a_charge"] == "Gratuit" and materiel["pivot"] == "00000000000000"
    content, _ = check_content(content_copy, TODAY)
    assert content is not None
    assert "internet" in content.place("dora--svc-materiel").services_bot


def test_gogocarto_export(content_copy):
    """Format: pixelhumain/GoGoCartoJs docs/dataset.md; export `/api/elements.json`."""
    source = FIXTURES / "gogocarto_acces_droits.json"
    report = import_places(source, content_copy, source_format="gogocarto")
    assert sorted(report.added) == [
        "gogocarto-gogocarto_acces_droits-kX3",
        "gogocarto-gogocarto_acces_droits-kX4",
    ]
    row = places_of(content_copy)["gogocarto-gogocarto_acces_droits-kX3"]
    assert row["telephone"] == "+33298471061"
    assert row["horaires"].startswith("Mo 14:00-17:00; Tu 09:00-12:00,14:00-17:00")
    assert "Th 09:00-12:00,14:00-17:00" in row["horaires"]
    assert row["services"] == "Aide aux démarches administratives"
    # "bientôt" is not an opening hour: the place is kept without hours, and reported.
    assert any("horaires" in reason for _, reason in report.warnings)
    assert check_content(content_copy, TODAY)[0] is not None


def test_dila_annuaire_with_hours(content_copy):
    """Format: api-lannuaire.service-public.fr, dataset api-lannuaire-administration."""
    source = FIXTURES / "dila_annuaire_brest.json"
    report = import_places(source, content_copy, source_format="dila")
    (place_id,) = report.added
    row = places_of(content_copy)[place_id]
    assert row["horaires"] == "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00"
    assert row["typologie"] == "MUNI" and row["adresse"] == "31 rue Saint-Jacques"
    assert row["date_maj"] == "2026-10-01" and row["latitude"] == "48.40993"
    content, _ = check_content(content_copy, TODAY)
    assert content is not None and content.place(place_id).hours is not None


def test_dila_dump_lists_and_api_text_read_the_same():
    as_text = dila.to_v1(
        {
            "id": "x",
            "plage_ouverture": '[{"nom_jour_debut": "Mardi", '
            '"valeur_heure_debut_1": "09:00:00", "valeur_heure_fin_1": "12:00:00"}]',
        }
    )
    as_list = dila.to_v1(
        {
            "id": "x",
            "plage_ouverture": [
                {
                    "nom_jour_debut": "Mardi",
                    "valeur_heure_debut_1": "09:00:00",
                    "valeur_heure_fin_1": "12:00:00",
                }
            ],
        }
    )
    assert as_text["horaires"] == as_list["horaires"] == "Tu 09:00-12:00"


def test_readers_never_invent_a_pivot_or_a_phone():
    assert datainclusion.to_v1({"id": "a", "telephone": "pas de numéro"})["telephone"] == ""
    assert gogocarto.to_v1({"id": "a"}, "m")["pivot"] == "00000000000000"


def test_ban_builds_addresses_and_places_places_without_a_point(content_copy):
    """Format: adresse.data.gouv.fr/data/ban/adresses/latest/csv/ (adresses-29.csv, `;`)."""
    report = import_addresses(FIXTURES / "adresses-29.csv", content_copy)
    assert report.kept == 4  # Guipavas (29075) is left out
    index = load_addresses(content_copy)
    assert index.locate("90 rue de Siam") == (48.389526, -4.487532)
    assert index.locate("90, Rue de SIAM") == (48.389526, -4.487532)
    assert index.locate("31 r. St-Jacques") == (48.40993, -4.47132)
    assert index.locate("rue de Siam") is None and index.locate("12 rue inconnue") is None
    # The mairie de quartier Europe had its point already; one without gets the BAN's.
    assert "rue saint jacques" in index.streets
    assert check_content(content_copy, TODAY)[0] is not None


def test_ban_places_a_place_from_its_address(content_copy):
    places = (content_copy / "lieux.csv").read_text(encoding="utf-8")
    marker = "Kérédern,Brest,29200,29019,5 Rue Paul Dukas,,48.40842,-4.49822"
    assert marker in places
    (content_copy / "lieux.csv").write_text(
        places.replace(marker, marker.replace("48.40842,-4.49822", ",")), encoding="utf-8"
    )
    report = import_addresses(FIXTURES / "adresses-29.csv", content_copy)
    assert "fs-594" in report.placed
    row = places_of(content_copy)["fs-594"]
    assert (row["latitude"], row["longitude"]) == ("48.408420", "-4.498220")
    _, sides = read_rows(content_copy / "lieux_complements.csv")
    assert any("BAN 29019_test_00005" in r["notes"] for _, r in sides if r["id"] == "fs-594")


def test_street_keys_match_residents_spelling():
    assert street_key("Rue Jean-François Tartu") == street_key("r jean francois tartu")
    assert AddressIndex().locate("12 rue de Siam") is None


def run(*argv: str) -> int:
    import argparse

    from bot.content.cli import add_content_commands

    parser = argparse.ArgumentParser()
    add_content_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.mark.parametrize(
    ("fixture", "fmt", "printed"),
    [
        ("data_inclusion_services.csv", "data-inclusion", "2 ajouté(s)"),
        ("gogocarto_acces_droits.json", "gogocarto", "2 ajouté(s)"),
        ("dila_annuaire_brest.json", "dila", "1 ajouté(s)"),
        ("adresses-29.csv", "ban", "4 adresse(s) gardée(s)"),
    ],
)
def test_cli_import_each_format(content_copy, capsys, fixture, fmt, printed):
    argv = ("content", "import", str(FIXTURES / fixture), "--format", fmt)
    assert run(*argv, "--content-dir", str(content_copy)) == 0
    assert printed in capsys.readouterr().out
    assert run("content", "check", str(content_copy)) == 0
