"""Import a national-schema export (v1 CSV or JSON, or a v0.1 CSV) into content/lieux.csv."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.csvfile import read_rows, write_rows
from bot.content.formats import READERS
from bot.content.places import BOT_SERVICES, COMPLEMENT_COLUMNS, COMPLEMENTS_FILE, PLACES_FILE
from bot.content.schema import Schema, check_row, load_schema, split_multi

V01_MARKERS = {"conditions_access", "conditions_acces", "labels_nationaux", "courriel"}
V01_LABELS = {
    "CNFS": "Conseillers numériques",
    "France Services": "France Services",
    "Aidants Connect": "Aidants Connect",
    "Point numérique CAF": "Point d'accès numérique CAF",
}
V01_FEES = {"Gratuit": "Gratuit", "Gratuit sous condition": "Gratuit sous condition"}
FRANCE_SERVICES_TOPICS = "caf|cpam|ants|impots|france_travail|retraite|msa|other"


@dataclass
class ImportReport:
    """What an import did: ids added and updated, rows rejected or kept with warnings."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0  # filtered out by postal code


def import_places(
    source: Path,
    content_dir: Path,
    id_prefix: str = "",
    postal_codes: Collection[str] = (),
    source_format: str = "mednum",
) -> ImportReport:
    """Merge `source` (in `source_format`) into lieux.csv by id; new places get a side row."""
    schema = load_schema(content_dir)
    report = ImportReport()
    _, existing = read_rows(content_dir / PLACES_FILE)
    places = {row["id"]: row for _, row in existing}
    _, side = read_rows(content_dir / COMPLEMENTS_FILE)
    complements = {row["id"]: row for _, row in side}
    reader = READERS.get(source_format, _read_source)
    for where, raw in reader(source):
        row = _to_v1(schema, raw, report, where) if _is_v01(raw) else dict(raw)
        if postal_codes and row.get("code_postal", "").strip() not in postal_codes:
            report.skipped += 1
            continue
        raw_id = (row.get("id") or "").strip()
        row["id"] = id_prefix + raw_id if raw_id else ""
        if not _accept(schema, row, report, where):
            continue
        row = {name: (row.get(name) or "").strip() for name in schema.columns}
        if row["id"] in places:
            # Exports often leave out what we curated (code_insee, coordinates): keep ours.
            row = {name: row[name] or places[row["id"]].get(name, "") for name in schema.columns}
        if row["id"] not in places:
            report.added.append(row["id"])
        elif places[row["id"]] != row:
            report.updated.append(row["id"])
        else:
            report.unchanged.append(row["id"])
        places[row["id"]] = row
        complements.setdefault(row["id"], _complement(row, source.name))
    write_rows(content_dir / PLACES_FILE, schema.columns, places.values())
    write_rows(content_dir / COMPLEMENTS_FILE, COMPLEMENT_COLUMNS, complements.values())
    return report


def _read_source(source: Path) -> Iterable[tuple[str, Mapping[str, str]]]:
    if source.suffix.lower() == ".json":
        data = json.loads(source.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else data.get("data", [])
        for index, item in enumerate(items):
            yield f"{source.name}[{index}]", {k: _cell(v) for k, v in item.items()}
        return
    _, rows = read_rows(source)
    for line, row in rows:
        yield f"{source.name}:{line}", row


def _cell(value: object) -> str:
    # The ANCT JSON exports carry lists for multi-valued fields and numbers for coordinates.
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return "" if value is None else str(value)


def _is_v01(row: Mapping[str, str]) -> bool:
    return bool(V01_MARKERS & set(row)) and "courriels" not in row


def _to_v1(
    schema: Schema, old: Mapping[str, str], report: ImportReport, where: str
) -> dict[str, str]:
    """Map a v0.1 record to v1 names and vocabulary, with ANCT's own mapping."""
    row = {name: old.get(name, "") for name in schema.columns if name in old}
    row["courriels"] = old.get("courriel", "")
    if set(old.get("pivot", "").strip()) == {"0"}:
        row["pivot"] = ""  # the CNFS export writes 00000000000000 when the SIRET is unknown
    services: list[str] = []
    unknown: list[str] = []
    for value in (v.strip() for v in old.get("services", "").split(";") if v.strip()):
        mapped = schema.services_v01.get(value)
        (services if mapped else unknown).append(mapped or value)
    row["services"] = "|".join(dict.fromkeys(services))
    for value in unknown:
        report.warnings.append((where, f"service v0.1 sans équivalent v1 ignoré: {value!r}"))
    fees = old.get("conditions_access") or old.get("conditions_acces") or ""
    kinds = {part.split(":")[0].strip() for part in fees.split(";") if part.strip()}
    row["frais_a_charge"] = "|".join(sorted({V01_FEES.get(k, "Payant") for k in kinds}))
    labels = [V01_LABELS.get(v.strip(), "") for v in old.get("labels_nationaux", "").split(";")]
    row["dispositif_programmes_nationaux"] = "|".join(label for label in labels if label)
    modes = old.get("modalites_accompagnement", "").split(";")
    accompagnements = (schema.accompagnement_v01.get(m.strip(), "") for m in modes)
    row["modalites_accompagnement"] = "|".join(dict.fromkeys(m for m in accompagnements if m))
    return row


def _accept(schema: Schema, row: dict[str, str], report: ImportReport, where: str) -> bool:
    problems = check_row(schema, row)
    errors = [message for name, message in problems if name != "horaires"]
    if errors:
        report.rejected.append((row.get("id") or where, "; ".join(errors)))
        return False
    for _, message in problems:
        # About 8 % of national horaires do not parse: keep the place, drop the hours, warn.
        report.warnings.append((row["id"], f"{message}; place gardée sans horaires"))
        row["horaires"] = ""
    return True


def _complement(row: Mapping[str, str], source_name: str) -> dict[str, str]:
    services = set(split_multi(row["services"]))
    bot = []
    if "Accès internet et matériel informatique" in services:
        bot.append("internet")
    if (
        "Dans un atelier collectif" in split_multi(row["modalites_accompagnement"])
        or {
            "Maîtrise des outils numériques du quotidien",
            "Compréhension du monde numérique",
        }
        & services
    ):
        bot.append("workshop")
    france_services = "France Services" in split_multi(row["dispositif_programmes_nationaux"])
    return {
        "id": row["id"],
        "quartier": "",
        "themes": FRANCE_SERVICES_TOPICS if france_services else "",
        "papi": "non",
        "services_bot": "|".join(s for s in BOT_SERVICES if s in bot),
        "verifie_le": row["date_maj"],
        "source": f"import {source_name} ({row['source'] or 'source non indiquée'})",
        "notes": "importé: quartier, thèmes et services_bot à vérifier",
    }
