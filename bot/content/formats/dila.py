"""Annuaire de l'administration (DILA), JSON: mairies, CAF, CPAM, France services, with hours.

Documentation: https://www.data.gouv.fr/fr/datasets/service-public-fr-annuaire-de-l-administration-base-de-donnees-locales/
and the API https://api-lannuaire.service-public.fr/explore/dataset/api-lannuaire-administration/
(records with `id, nom, siret, pivot, adresse, telephone, adresse_courriel, site_internet,
plage_ouverture, date_modification`). In the API the nested fields are JSON text; in the
full JSON dump ({"service": [...]}) they are lists: both are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.content.formats.common import UNKNOWN_PIVOT, iso_date, load_json, phone, records, text

OSM_DAYS = {
    "Lundi": "Mo", "Mardi": "Tu", "Mercredi": "We", "Jeudi": "Th", "Vendredi": "Fr",
    "Samedi": "Sa", "Dimanche": "Su",
}  # fmt: skip
# type_service_local of the DILA -> how the national schema names the kind of place.
TYPOLOGIE = {"mairie": "MUNI", "mairie_mairie_annexe": "MUNI", "france_services": "RFS"}
DISPOSITIF = {"france_services": "France Services"}


def read(path: Path) -> Iterable[tuple[str, Mapping[str, str]]]:
    """(where, v1 row) for each service of an Annuaire de l'administration export."""
    for index, item in enumerate(records(load_json(path), "service", "results", "records")):
        yield f"{path.name}[{index}]", to_v1(item)


def _nested(value: object) -> list[Any]:
    # The API gives nested lists as JSON text; the dump gives them as lists.
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            return [value]
    return value if isinstance(value, list) else []


def opening_hours(plages: object) -> str:
    """`plage_ouverture` as an OSM expression: 'Mo-Th 08:30-12:00,13:30-17:00; Fr ...'."""
    rules = []
    for plage in _nested(plages):
        first, last = (
            OSM_DAYS.get(text(plage.get("nom_jour_debut"))),
            OSM_DAYS.get(text(plage.get("nom_jour_fin")) or text(plage.get("nom_jour_debut"))),
        )
        spans = []
        for n in (1, 2, 3):
            start = text(plage.get(f"valeur_heure_debut_{n}"))[:5]
            end = text(plage.get(f"valeur_heure_fin_{n}"))[:5]
            if start and end:
                spans.append(f"{start}-{end}")
        if not first or not last or not spans:
            continue
        days = first if first == last else f"{first}-{last}"
        rules.append(f"{days} {','.join(spans)}")
    return "; ".join(rules)


def to_v1(item: Mapping[str, Any]) -> dict[str, str]:
    """One DILA service as a row of the national schema v1 (its street address, not a PO box)."""
    addresses = [a for a in _nested(item.get("adresse")) if isinstance(a, dict)]
    street = next((a for a in addresses if a.get("type_adresse") == "Adresse"), None)
    street = street or (addresses[0] if addresses else {})
    kinds = [
        text(p.get("type_service_local")) for p in _nested(item.get("pivot")) if isinstance(p, dict)
    ]
    phones = [
        phone(t.get("valeur") if isinstance(t, dict) else t) for t in _nested(item.get("telephone"))
    ]
    mails = [
        text(m.get("valeur") if isinstance(m, dict) else m)
        for m in _nested(item.get("adresse_courriel"))
    ]
    sites = [
        text(s.get("valeur") if isinstance(s, dict) else s)
        for s in _nested(item.get("site_internet"))
    ]
    return {
        "id": f"dila-{text(item.get('id'))}" if text(item.get("id")) else "",
        "pivot": text(item.get("siret")) or text(item.get("siren")) or UNKNOWN_PIVOT,
        "nom": text(item.get("nom")),
        "commune": text(street.get("nom_commune")),
        "code_postal": text(street.get("code_postal")),
        "code_insee": text(item.get("code_insee_commune")),
        "adresse": text(street.get("numero_voie")),
        "complement_adresse": text(street.get("complement1")),
        "latitude": text(street.get("latitude")),
        "longitude": text(street.get("longitude")),
        "typologie": "|".join(dict.fromkeys(TYPOLOGIE[k] for k in kinds if k in TYPOLOGIE)),
        "telephone": next((p for p in phones if p), ""),
        "courriels": "|".join(m for m in mails if m),
        "site_web": "|".join(s for s in sites if s),
        "horaires": opening_hours(item.get("plage_ouverture")),
        "presentation_resume": text(item.get("mission"))[:280],
        "source": "Annuaire de l'administration (DILA)",
        "date_maj": iso_date(item.get("date_modification")),
        "dispositif_programmes_nationaux": "|".join(
            dict.fromkeys(DISPOSITIF[k] for k in kinds if k in DISPOSITIF)
        ),
    }
