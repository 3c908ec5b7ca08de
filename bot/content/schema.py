"""The national "lieux de médiation numérique" schema v1.0.2: columns, enumerations, row checks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.hours import parse_hours

SCHEMA_FILE = Path("schema") / "mednum_schema_v1_enumerations.json"
SEPARATOR = "|"

# (south, north, west, east): metropolitan France with Corsica, then the overseas territories.
FRANCE_BOXES = (
    (41.3, 51.2, -5.3, 9.7),
    (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    (14.3, 14.95, -61.3, -60.7),  # Martinique
    (2.1, 5.8, -54.7, -51.5),  # Guyane
    (-21.45, -20.85, 55.2, 55.9),  # La Réunion
    (-13.1, -12.6, 44.9, 45.35),  # Mayotte
    (46.7, 47.2, -56.5, -56.1),  # Saint-Pierre-et-Miquelon
    (17.8, 18.2, -63.2, -62.7),  # Saint-Martin, Saint-Barthélemy
    (-22.9, -19.5, 163.5, 168.2),  # Nouvelle-Calédonie
    (-28.0, -7.0, -155.0, -134.0),  # Polynésie française
    (-14.4, -13.1, -178.3, -176.1),  # Wallis-et-Futuna
)

PATTERNS = {
    "pivot": re.compile(r"^[a-zA-Z0-9]{9,14}$"),
    "code_postal": re.compile(r"^\d{5}$"),
    "code_insee": re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$"),
    "telephone": re.compile(
        r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}$"
    ),
}
TYPOLOGIE = re.compile(r"^[A-Z][A-Z0-9_]*$")
URL = re.compile(r"^https?://\S+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Schema:
    """Column order, required fields and enumerations of the national schema, plus v0.1 maps."""

    columns: tuple[str, ...]
    required: frozenset[str]
    enumerations: Mapping[str, frozenset[str]]
    services_v01: Mapping[str, str]  # old v0.1 service -> v1 service
    accompagnement_v01: Mapping[str, str]  # old v0.1 modalité -> v1 modalité


def load_schema(content_dir: Path) -> Schema:
    """Read the enumerations file copied from the national schema."""
    raw = json.loads((content_dir / SCHEMA_FILE).read_text(encoding="utf-8"))
    return Schema(
        columns=tuple(raw["columns_in_order"]),
        required=frozenset(raw["required_fields"]),
        enumerations={k: frozenset(v) for k, v in raw["enumerations_from_schema_patterns"].items()},
        services_v01=_invert(raw["v0_1_to_v1_services_mapping_ANCT"]),
        accompagnement_v01=_invert(raw["v0_1_to_v1_modalites_accompagnement_mapping_ANCT"]),
    )


def _invert(mapping: Mapping[str, object]) -> dict[str, str]:
    return {old: new for new, olds in mapping.items() if isinstance(olds, list) for old in olds}


def split_multi(value: str | None) -> tuple[str, ...]:
    """Split a `|`-separated multi-value cell into its non-empty, stripped parts."""
    return tuple(part.strip() for part in (value or "").split(SEPARATOR) if part.strip())


def inside_france(latitude: float, longitude: float) -> bool:
    """Whether a WGS84 point falls in metropolitan France or an overseas territory."""
    return any(s <= latitude <= n and w <= longitude <= e for s, n, w, e in FRANCE_BOXES)


def check_row(schema: Schema, row: Mapping[str, str]) -> list[tuple[str, str]]:
    """Check one v1 record; return (field, message) for every violation of the schema."""
    found: list[tuple[str, str]] = []
    for name in sorted(schema.required):
        if not (row.get(name) or "").strip():
            found.append((name, f"champ obligatoire vide: {name}"))
    for name, pattern in PATTERNS.items():
        value = (row.get(name) or "").strip()
        if value and not pattern.match(value):
            found.append((name, f"{name} invalide: {value!r}"))
    for name, allowed in schema.enumerations.items():
        for value in split_multi(row.get(name)):
            if value not in allowed:
                found.append((name, f"{name}: valeur inconnue {value!r}"))
    found.extend(_check_formats(row))
    found.extend(_check_position(row))
    horaires = (row.get("horaires") or "").strip()
    if horaires:
        try:
            parse_hours(horaires)
        except ValueError as error:
            found.append(("horaires", str(error)))
    return found


def _check_formats(row: Mapping[str, str]) -> list[tuple[str, str]]:
    found = []
    for value in split_multi(row.get("typologie")):
        if not TYPOLOGIE.match(value):
            found.append(("typologie", f"typologie: code invalide {value!r}"))
    for name, pattern in (("courriels", EMAIL), ("site_web", URL)):
        for value in split_multi(row.get(name)):
            if not pattern.match(value):
                found.append((name, f"{name} invalide: {value!r}"))
    for name in ("fiche_acces_libre", "prise_rdv"):
        value = (row.get(name) or "").strip()
        if value and not URL.match(value):
            found.append((name, f"{name}: URL invalide {value!r}"))
    if len(row.get("presentation_resume") or "") > 280:
        found.append(("presentation_resume", "presentation_resume dépasse 280 caractères"))
    value = (row.get("date_maj") or "").strip()
    if value and parse_date(value) is None:
        found.append(("date_maj", f"date_maj n'est pas une date AAAA-MM-JJ: {value!r}"))
    return found


def _check_position(row: Mapping[str, str]) -> list[tuple[str, str]]:
    lat, lon = (row.get("latitude") or "").strip(), (row.get("longitude") or "").strip()
    if not lat and not lon:
        return []
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        return [("latitude", f"coordonnées invalides: {lat!r}, {lon!r}")]
    if not inside_france(latitude, longitude):
        return [("latitude", f"coordonnées hors de France: {latitude}, {longitude}")]
    return []


def parse_date(value: str) -> date | None:
    """Parse an ISO `YYYY-MM-DD` date, or return None."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
