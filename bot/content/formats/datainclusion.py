"""data·inclusion structures and services, schema 1.0.x, as JSON or CSV.

Documentation: https://gip-inclusion.github.io/data-inclusion-schema/ (repository
gip-inclusion/data-inclusion-schema, docs/structure.md and docs/service.md). A structure has
`source, id, nom, description, date_maj, siret, commune, code_postal, code_insee, adresse,
complement_adresse, longitude, latitude, telephone, courriel, site_web, horaires_accueil,
accessibilite_lieu, reseaux_porteurs`; a service adds `structure_id, thematiques, frais,
modes_accueil...`. Each record becomes one place: several services at one address stay
separate places, keyed `<source>--<id>`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.content.formats.common import UNKNOWN_PIVOT, iso_date, load_json, phone, records, text

# Thematiques of the data·inclusion referential -> services of the national schema v1.
SERVICES = {
    "numerique--acceder-a-du-materiel": "Accès internet et matériel informatique",
    "numerique--acceder-a-une-connexion-internet": "Accès internet et matériel informatique",
    "equipement-et-alimentation--acces-a-du-materiel-informatique": (
        "Accès internet et matériel informatique"
    ),
    "numerique--realiser-des-demarches-administratives-avec-un-accompagnement": (
        "Aide aux démarches administratives"
    ),
    "acces-aux-droits-et-citoyennete--accompagnement-dans-les-demarches-administratives": (
        "Aide aux démarches administratives"
    ),
    "numerique--devenir-autonome-dans-les-demarches-administratives": (
        "Aide aux démarches administratives"
    ),
    "numerique--prendre-en-main-un-ordinateur": "Maîtrise des outils numériques du quotidien",
    "numerique--prendre-en-main-un-smartphone-ou-une-tablette": (
        "Maîtrise des outils numériques du quotidien"
    ),
    "numerique--utiliser-le-numerique-au-quotidien": "Maîtrise des outils numériques du quotidien",
    "numerique--approfondir-ma-culture-numerique": "Compréhension du monde numérique",
    "numerique--favoriser-mon-insertion-professionnelle": (
        "Insertion professionnelle via le numérique"
    ),
}
FEES = {
    "gratuit": "Gratuit",
    "gratuit-sous-conditions": "Gratuit sous condition",
    "payant": "Payant",
}


def read(path: Path) -> Iterable[tuple[str, Mapping[str, str]]]:
    """(where, v1 row) for each structure or service of a data·inclusion export."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            items: list[dict[str, Any]] = [
                {k: _csv_cell(k, v) for k, v in row.items()} for row in csv.DictReader(handle)
            ]
    else:
        items = records(load_json(path), "items", "data", "structures", "services")
    for index, item in enumerate(items):
        yield f"{path.name}[{index}]", to_v1(item)


def _csv_cell(name: str, value: str | None) -> object:
    # In the CSV exports, arrays are written as JSON-like lists or comma-separated values.
    if name in ("thematiques", "modes_accueil", "reseaux_porteurs", "types", "publics"):
        cleaned = (value or "").strip("[]{}")
        return [part.strip(" '\"") for part in cleaned.split(",") if part.strip(" '\"")]
    return value


def to_v1(item: Mapping[str, Any]) -> dict[str, str]:
    """One data·inclusion record as a row of the national schema v1."""
    source = text(item.get("source")) or "data-inclusion"
    themes = [text(t) for t in item.get("thematiques") or []]
    services = list(dict.fromkeys(SERVICES[t] for t in themes if t in SERVICES))
    modes = [text(m) for m in item.get("modes_accueil") or []]
    return {
        "id": f"{source}--{text(item.get('id'))}" if text(item.get("id")) else "",
        "pivot": text(item.get("siret")) or UNKNOWN_PIVOT,
        "nom": text(item.get("nom")),
        "commune": text(item.get("commune")),
        "code_postal": text(item.get("code_postal")),
        "code_insee": text(item.get("code_insee")),
        "adresse": text(item.get("adresse")),
        "complement_adresse": text(item.get("complement_adresse")),
        "latitude": text(item.get("latitude")),
        "longitude": text(item.get("longitude")),
        "telephone": phone(item.get("telephone")),
        "courriels": text(item.get("courriel")),
        "site_web": text(item.get("site_web") or item.get("lien_source")),
        "horaires": text(item.get("horaires_accueil")),
        "presentation_resume": text(item.get("description"))[:280],
        "source": f"data·inclusion ({source})",
        "itinerance": "Itinérant" if "itinerant" in modes else "",
        "date_maj": iso_date(item.get("date_maj")),
        "services": "|".join(services),
        "frais_a_charge": FEES.get(text(item.get("frais")), ""),
    }
