"""GoGoCarto JSON exports (`/api/elements.json`), such as Brest métropole's access-to-rights map.

Documentation: https://gitlab.com/seballot/gogocarto (API), element format in
pixelhumain/GoGoCartoJs docs/dataset.md: `{"licence", "ontology", "data": [{"id", "name",
"geo": {"latitude", "longitude"}, "address": {"streetAddress", "addressLocality",
"postalCode", "addressCountry"}, "categories", "telephone", "email", "website",
"openHours": {"Mo": "09:00-12:00"}, "description", "updatedAt"}]}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.content.formats.common import UNKNOWN_PIVOT, iso_date, load_json, phone, records, text

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
# Category words of such maps -> services of the national schema v1 (lower case, contains).
SERVICE_WORDS = {
    "numérique": "Maîtrise des outils numériques du quotidien",
    "informatique": "Accès internet et matériel informatique",
    "internet": "Accès internet et matériel informatique",
    "démarches": "Aide aux démarches administratives",
    "accès aux droits": "Aide aux démarches administratives",
}


def read(path: Path) -> Iterable[tuple[str, Mapping[str, str]]]:
    """(where, v1 row) for each element of a GoGoCarto export."""
    data = load_json(path)
    for index, item in enumerate(records(data, "data")):
        yield f"{path.name}[{index}]", to_v1(item, path.stem)


def open_hours(hours: object) -> str:
    """GoGoCarto's `{"Mo": "09:00-12:00,14:00-17:00"}` as an OSM expression."""
    if not isinstance(hours, dict):
        return ""
    rules = []
    for day in DAYS:
        value = text(hours.get(day)).replace(" & ", ",").replace("&", ",").replace(" ", "")
        if value:
            rules.append(f"{day} {value}")
    return "; ".join(rules)


def to_v1(item: Mapping[str, Any], map_name: str) -> dict[str, str]:
    """One GoGoCarto element as a row of the national schema v1."""
    geo = item.get("geo") or {}
    address = item.get("address") or {}
    categories = [
        text(c.get("name") if isinstance(c, dict) else c) for c in item.get("categories") or []
    ]
    found = {
        service for word, service in SERVICE_WORDS.items() for c in categories if word in c.lower()
    }
    return {
        "id": f"gogocarto-{map_name}-{text(item.get('id'))}" if text(item.get("id")) else "",
        "pivot": UNKNOWN_PIVOT,
        "nom": text(item.get("name") or item.get("title")),
        "commune": text(address.get("addressLocality")),
        "code_postal": text(address.get("postalCode")),
        "adresse": text(address.get("streetAddress")),
        "latitude": text(geo.get("latitude") if isinstance(geo, dict) else item.get("lat")),
        "longitude": text(geo.get("longitude") if isinstance(geo, dict) else item.get("lng")),
        "telephone": phone(item.get("telephone")),
        "courriels": text(item.get("email")),
        "site_web": text(item.get("website")),
        "horaires": open_hours(item.get("openHours")),
        "presentation_resume": text(item.get("description"))[:280],
        "source": f"GoGoCarto ({map_name})",
        "date_maj": iso_date(item.get("updatedAt") or item.get("createdAt")),
        "services": "|".join(sorted(found)),
    }
