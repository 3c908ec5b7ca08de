"""Neighbourhoods, streets, landmarks and postal codes residents use to say where they are."""

from __future__ import annotations

from pathlib import Path

from bot.content.csvfile import read_rows
from bot.content.model import GazetteerEntry, Problem
from bot.content.schema import inside_france, split_multi

GAZETTEER_FILE = "gazetteer.csv"
COLUMNS = (
    "id", "kind", "name", "aliases", "quartier", "latitude", "longitude", "coord_source", "source",
)  # fmt: skip
# commune_voisine: a town next to Brest, outside the service (answers say the service covers
# Brest and give the nearest Brest place)
KINDS = ("quartier", "sous_quartier", "repere", "voie", "code_postal", "commune", "commune_voisine")


def load_gazetteer(content_dir: Path) -> tuple[tuple[GazetteerEntry, ...], list[Problem]]:
    """Read gazetteer.csv; check kinds, ids, coordinates, sources and quartier references."""
    path = content_dir / GAZETTEER_FILE
    if not path.exists():
        return (), [Problem(GAZETTEER_FILE, None, "fichier manquant")]
    header, rows = read_rows(path)
    if tuple(header) != COLUMNS:
        return (), [Problem(GAZETTEER_FILE, 1, f"colonnes attendues: {','.join(COLUMNS)}")]
    problems: list[Problem] = []
    entries: list[GazetteerEntry] = []
    lines: dict[str, int] = {}
    for line, row in rows:
        found = _check(row, lines)
        problems += [Problem(GAZETTEER_FILE, line, message) for message in found]
        lines.setdefault(row["id"], line)
        if not found:
            entries.append(
                GazetteerEntry(
                    id=row["id"],
                    kind=row["kind"],
                    name=row["name"].strip(),
                    aliases=split_multi(row["aliases"]),
                    quartier=row["quartier"].strip() or None,
                    latitude=float(row["latitude"]),
                    longitude=float(row["longitude"]),
                )
            )
    quartiers = {e.id for e in entries if e.kind == "quartier"}
    for entry in entries:
        if entry.quartier and entry.quartier not in quartiers:
            message = f"{entry.id}: quartier inconnu {entry.quartier!r} (id d'une ligne quartier)"
            problems.append(Problem(GAZETTEER_FILE, lines[entry.id], message))
    return tuple(entries), problems


def _check(row: dict[str, str], seen: dict[str, int]) -> list[str]:
    found = []
    if "\0extra" in row:
        found.append("trop de valeurs sur la ligne")
    if not row["id"].strip() or not row["name"].strip():
        found.append("id et name sont obligatoires")
    elif row["id"] in seen:
        found.append(f"identifiant en double {row['id']!r} (déjà ligne {seen[row['id']]})")
    if row["kind"] not in KINDS:
        found.append(f"kind inconnu {row['kind']!r} (attendus: {', '.join(KINDS)})")
    for name in ("coord_source", "source"):
        if not row[name].strip():
            found.append(f"{name} obligatoire: d'où vient ce lieu et ses coordonnées")
    try:
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
    except ValueError:
        found.append(f"coordonnées invalides: {row['latitude']!r}, {row['longitude']!r}")
    else:
        if not inside_france(latitude, longitude):
            found.append(f"coordonnées hors de France: {latitude}, {longitude}")
    return found
