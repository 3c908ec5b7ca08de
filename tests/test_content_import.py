"""`content import`: v0.1 CSV, v1 CSV and v1 JSON exports merge into lieux.csv by id."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pytest

from bot.content import check_content
from bot.content.cli import add_content_commands
from bot.content.csvfile import read_rows
from bot.content.importer import import_places
from bot.content.places import PLACES_FILE

CONTENT = Path(__file__).resolve().parent.parent / "content"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "content"
TODAY = date(2026, 11, 28)


def test_v01_csv_maps_the_old_vocabulary(content_copy):
    source = FIXTURES / "conseillers_numeriques_lieux_finistere_2022.csv"
    report = import_places(source, content_copy, id_prefix="cnfs-", postal_codes={"29200", "29470"})
    assert report.added == ["cnfs-626fc43ecc2a0205c7bef582"]  # Plougastel, with its SIRET
    assert report.updated == ["cnfs-62e25e09dc69a506dfed4d61", "cnfs-6331b67bac7aea06f2f9ed35"]
    assert len(report.rejected) == 8  # pivot 00000000000000: no SIRET in the export
    assert all("pivot" in reason for _, reason in report.rejected)
    assert report.skipped == 92 - 11
    content, problems = check_content(content_copy, TODAY)
    assert content is not None, [str(p) for p in problems if p.severity == "error"]
    added = content.place("cnfs-626fc43ecc2a0205c7bef582")
    assert added.services == (
        "Maîtrise des outils numériques du quotidien",
        "Compréhension du monde numérique",
    )
    assert added.frais == ("Gratuit",) and added.dispositifs == ("Conseillers numériques",)
    assert added.services_bot == {"workshop"} and not added.papi
    kept = content.place("cnfs-62e25e09dc69a506dfed4d61")
    _, rows = read_rows(content_copy / PLACES_FILE)
    kept_row = next(row for _, row in rows if row["id"] == kept.id)
    assert kept_row["code_insee"] == "29019"  # absent from the export: our value is kept


@pytest.mark.parametrize("name", ["import_v1.csv", "import_v1.json"])
def test_v1_exports_add_update_reject_and_keep_bad_hours(content_copy, name):
    report = import_places(FIXTURES / name, content_copy)
    assert report.added == ["cnfs-626fc43ecc2a0205c7bef582", "cnfs-6363baf736005306f015afc8"]
    assert report.updated == ["fs-173"]
    assert [where for where, _ in report.rejected] == ["cnfs-626d0dd2cc2a0205c7beef7b"]
    assert [where for where, _ in report.warnings] == ["cnfs-6363baf736005306f015afc8"]
    content, problems = check_content(content_copy, TODAY)
    assert content is not None, [str(p) for p in problems if p.severity == "error"]
    assert content.place("fs-173").horaires.endswith("PH off")
    assert content.place("cnfs-6363baf736005306f015afc8").horaires is None


def test_importing_twice_changes_nothing(content_copy):
    import_places(FIXTURES / "import_v1.csv", content_copy)
    report = import_places(FIXTURES / "import_v1.csv", content_copy)
    assert not report.added and not report.updated and len(report.unchanged) == 3


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_content_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_import_and_check(content_copy, capsys):
    assert (
        run(
            "content", "import", str(FIXTURES / "import_v1.csv"), "--content-dir", str(content_copy)
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2 ajouté(s), 1 mis à jour, 0 inchangé(s), 1 rejeté(s)" in out
    assert "rejeté: cnfs-626d0dd2cc2a0205c7beef7b: champ obligatoire vide: pivot" in out
    assert run("content", "check", str(content_copy)) == 0
    (content_copy / "mediateurs.yaml").write_text("horaires: 'jamais'\n", encoding="utf-8")
    assert run("content", "check", str(content_copy)) == 1
    assert f"{content_copy / 'mediateurs.yaml'}:1: horaires invalides" in capsys.readouterr().out
