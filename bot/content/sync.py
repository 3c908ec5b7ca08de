"""`content sync`: fetch the configured sources and compute a reviewable diff, never applied alone.

Sources are listed in content/sources.yaml. For each, the export is fetched over HTTP, read
with its format's reader (bot/content/formats/) and compared with lieux.csv: places that are
new, changed (field by field) and vanished (ids of that source no longer in the export).
The diff is written as JSON for a curator; `content sync-apply` applies only the lines
accepted, validates the result like `content check`, and restores the files on any error.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

from bot.content.csvfile import read_rows, write_rows
from bot.content.formats import FORMATS, READERS
from bot.content.importer import _complement, _read_source
from bot.content.loader import check_content
from bot.content.places import COMPLEMENT_COLUMNS, COMPLEMENTS_FILE, PLACES_FILE
from bot.content.schema import Schema, check_row, load_schema
from bot.content.yamlfile import load_yaml

SOURCES_FILE = "sources.yaml"
FETCH_TIMEOUT_S = 120
KINDS = ("new", "changed", "vanished")


@dataclass(frozen=True)
class Source:
    """One configured source: where to fetch it, how to read it, which ids are its own."""

    id: str
    url: str
    format: str
    ids: str  # prefix of the ids this source owns in lieux.csv ("dila-", "cnfs-"...)
    postal_codes: tuple[str, ...] = ()
    licence: str = ""
    active: bool = True


@dataclass
class Change:
    """One line of the diff: a place new, changed or vanished in one source."""

    kind: str  # new | changed | vanished
    source: str
    id: str
    nom: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> [ours, theirs]
    row: dict[str, str] = field(default_factory=dict)  # the source's row (new, changed)


def load_sources(content_dir: Path) -> list[Source]:
    """The sources of content/sources.yaml (ValueError naming the line on a bad entry)."""
    doc = load_yaml(content_dir, SOURCES_FILE)
    found = []
    for index, entry in enumerate((doc.data or {}).get("sources") or []):
        where = f"{SOURCES_FILE}:{doc.line('sources', index) or '?'}"
        if not isinstance(entry, dict) or entry.get("format") not in FORMATS:
            raise ValueError(f"{where}: format attendu parmi {', '.join(FORMATS)}")
        if not entry.get("url") or not entry.get("ids") or not entry.get("id"):
            raise ValueError(f"{where}: id, url et ids (préfixe des identifiants) obligatoires")
        found.append(
            Source(
                id=str(entry["id"]),
                url=str(entry["url"]),
                format=str(entry["format"]),
                ids=str(entry["ids"]),
                postal_codes=tuple(str(c) for c in entry.get("codes_postaux") or ()),
                licence=str(entry.get("licence") or ""),
                active=bool(entry.get("actif", True)),
            )
        )
    return found


async def fetch(session: aiohttp.ClientSession, source: Source, folder: Path) -> Path:
    """Download one source into `folder` (gunzipped), named so its reader knows the type."""
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    async with session.get(source.url, timeout=timeout) as response:
        response.raise_for_status()
        body = await response.read()
    name = source.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or source.id
    if name.endswith(".gz"):
        body, name = gzip.decompress(body), name[:-3]
    if not name.endswith((".json", ".csv")):
        kind = response.headers.get("Content-Type", "")
        name = f"{source.id}.{'csv' if 'csv' in kind else 'json'}"
    path = folder / name
    path.write_bytes(body)
    return path


def incoming_rows(source: Source, path: Path, schema: Schema) -> dict[str, dict[str, str]]:
    """The source's rows, valid for the national schema, by id (prefixed for `mednum`)."""
    reader = READERS.get(source.format, _read_source)
    rows = {}
    for _, raw in reader(path):
        row = {name: (raw.get(name) or "").strip() for name in schema.columns}
        if source.format == "mednum" and row["id"] and not row["id"].startswith(source.ids):
            row["id"] = source.ids + row["id"]
        if source.postal_codes and row["code_postal"] not in source.postal_codes:
            continue
        if row["id"] and not [m for n, m in check_row(schema, row) if n != "horaires"]:
            rows[row["id"]] = row
    return rows


def diff_source(
    source: Source, incoming: Mapping[str, dict[str, str]], ours: Mapping[str, dict[str, str]]
) -> list[Change]:
    """New, changed (only fields the source fills) and vanished places of one source."""
    changes = []
    for place_id, row in incoming.items():
        mine = ours.get(place_id)
        if mine is None:
            changes.append(Change("new", source.id, place_id, row["nom"], row=row))
            continue
        fields = {
            name: [mine.get(name, ""), value]
            for name, value in row.items()
            if value and value != mine.get(name, "")
        }
        if fields:
            changes.append(Change("changed", source.id, place_id, mine["nom"], fields, row))
    for place_id, mine in ours.items():
        if place_id.startswith(source.ids) and place_id not in incoming:
            changes.append(Change("vanished", source.id, place_id, mine["nom"]))
    return changes


async def compute_diff(
    content_dir: Path, only: Collection[str] = (), session: aiohttp.ClientSession | None = None
) -> list[Change]:
    """Fetch every active source (or those named in `only`) and diff each with lieux.csv."""
    schema = load_schema(content_dir)
    _, rows = read_rows(content_dir / PLACES_FILE)
    ours = {row["id"]: row for _, row in rows}
    sources = [s for s in load_sources(content_dir) if s.format in READERS or s.format == "mednum"]
    sources = [s for s in sources if (s.id in only if only else s.active)]
    changes: list[Change] = []
    own = session or aiohttp.ClientSession()
    try:
        with tempfile.TemporaryDirectory() as folder:
            for source in sources:
                path = await fetch(own, source, Path(folder))
                changes += diff_source(source, incoming_rows(source, path, schema), ours)
    finally:
        if session is None:
            await own.close()
    return changes


def write_diff(changes: Iterable[Change], path: Path) -> None:
    """The diff as JSON, one object per line of review, for the curators' page or a reader."""
    data = {"date": date.today().isoformat(), "changes": [asdict(c) for c in changes]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def read_diff(path: Path) -> list[Change]:
    """The changes of a diff file written by `write_diff`."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return [Change(**change) for change in data["changes"]]


def describe(change: Change) -> str:
    """One line a curator reads: '+ nouveau', '~ modifié (champ: avant -> après)', '- disparu'."""
    if change.kind == "new":
        return f"+ nouveau [{change.source}] {change.id}: {change.nom}"
    if change.kind == "vanished":
        return f"- disparu [{change.source}] {change.id}: {change.nom}"
    fields = "; ".join(f"{n}: {a!r} -> {b!r}" for n, (a, b) in change.fields.items())
    return f"~ modifié [{change.source}] {change.id}: {change.nom} ({fields})"


def apply_changes(
    content_dir: Path, changes: Iterable[Change], accepted: Collection[str], who: str
) -> list[str]:
    """Apply the accepted changes (by id, or 'all'); [] if valid, else the errors (undone)."""
    schema = load_schema(content_dir)
    places_path, sides_path = content_dir / PLACES_FILE, content_dir / COMPLEMENTS_FILE
    backup = places_path.read_bytes(), sides_path.read_bytes()
    _, rows = read_rows(places_path)
    places = {row["id"]: row for _, row in rows}
    _, side_rows = read_rows(sides_path)
    sides = {row["id"]: row for _, row in side_rows}
    today = date.today().isoformat()
    for change in changes:
        if "all" not in accepted and change.id not in accepted:
            continue
        if change.kind == "vanished":
            places.pop(change.id, None)
            sides.pop(change.id, None)
            continue
        merged = {
            n: change.row.get(n) or places.get(change.id, {}).get(n, "") for n in schema.columns
        }
        places[change.id] = merged
        side = sides.setdefault(change.id, _complement(merged, f"sync {change.source}"))
        side["verifie_le"] = today
        side["notes"] = f"{side['notes']}; {change.kind} accepté par {who} le {today}".strip("; ")
    write_rows(places_path, schema.columns, places.values())
    write_rows(sides_path, COMPLEMENT_COLUMNS, sides.values())
    content, problems = check_content(content_dir)
    if content is None:
        places_path.write_bytes(backup[0])
        sides_path.write_bytes(backup[1])
        return [str(p) for p in problems if p.severity == "error"]
    return []
