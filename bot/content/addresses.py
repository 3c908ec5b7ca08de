"""House-number addresses from the Base Adresse Nationale, for offline geocoding.

`content import adresses-29.csv --format ban` keeps the addresses of the chosen communes
(Brest, INSEE 29019, by default) in content/adresses.csv, then places the places of
lieux.csv that have no coordinates from their address. At run time `AddressIndex.locate`
turns "12 rue de Siam" into a point without any network call.

Format (https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/, documented at
https://doc.adresse.data.gouv.fr/mettre-a-jour-sa-base-adresse-locale/le-format-base-adresse-locale):
`;`-separated, header `id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;
code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;
libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;
cad_parcelles`. Licence of the BAN: Licence Ouverte 2.0 (etalab-2.0).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.csvfile import read_rows, write_rows
from bot.content.places import COMPLEMENT_COLUMNS, COMPLEMENTS_FILE, PLACES_FILE
from bot.content.schema import load_schema

ADDRESSES_FILE = "adresses.csv"
ADDRESS_COLUMNS = (
    "voie",
    "numero",
    "rep",
    "code_postal",
    "code_insee",
    "latitude",
    "longitude",
    "ban_id",
)
BREST = "29019"
# Abbreviations residents and exports write -> the word the BAN writes.
WORDS = {
    "r": "rue", "bd": "boulevard", "bld": "boulevard", "av": "avenue", "ave": "avenue",
    "pl": "place", "st": "saint", "ste": "sainte", "imp": "impasse", "che": "chemin",
    "rte": "route", "sq": "square", "all": "allee", "qu": "quai",
}  # fmt: skip
# "12 bis", "12bis" or "12A" (a letter only when stuck to the number: "31 r. ..." is a street).
NUMBER = re.compile(r"^\s*(\d+)(?:\s*(bis|ter|quater)\b|([a-z])(?=[\s,]|$))?[\s,]*(.*)$")


def street_key(name: str) -> str:
    """A street name as a lookup key: no accents, case, apostrophes or abbreviations."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    return " ".join(WORDS.get(word, word) for word in words)


def split_address(address: str) -> tuple[str, str, str] | None:
    """'12 bis rue de Siam' -> ('12', 'bis', 'rue de siam'); None without a house number."""
    plain = unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode().lower()
    found = NUMBER.match(plain)
    if found is None or not found.group(4).strip():
        return None
    return found.group(1), found.group(2) or found.group(3) or "", street_key(found.group(4))


@dataclass
class AddressIndex:
    """Points by (street key, number, rep), built from content/adresses.csv."""

    points: dict[tuple[str, str, str], tuple[float, float, str]] = field(default_factory=dict)

    def locate(self, address: str) -> tuple[float, float] | None:
        """The point of a house-number address, e.g. '12 rue de Siam'; None if unknown."""
        found = self.lookup(address)
        return (found[0], found[1]) if found else None

    def lookup(self, address: str) -> tuple[float, float, str] | None:
        """(lat, lon, BAN id) of an address, trying without the 'bis/ter' when absent."""
        parts = split_address(address)
        if parts is None:
            return None
        number, rep, street = parts
        return self.points.get((street, number, rep)) or self.points.get((street, number, ""))

    @property
    def streets(self) -> set[str]:
        """Every street key the index knows (for the gazetteer's street names)."""
        return {street for street, _, _ in self.points}


def load_addresses(content_dir: Path) -> AddressIndex:
    """The index of content/adresses.csv (empty when the file is absent)."""
    index = AddressIndex()
    path = content_dir / ADDRESSES_FILE
    if not path.exists():
        return index
    _, rows = read_rows(path)
    for _, row in rows:
        key = (street_key(row["voie"]), row["numero"], row["rep"].lower())
        index.points[key] = (float(row["latitude"]), float(row["longitude"]), row["ban_id"])
    return index


def ban_rows(path: Path, communes: Collection[str]) -> Iterator[dict[str, str]]:
    """The rows of a BAN département CSV in `communes`, with a point, streamed."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if row.get("code_insee") in communes and row.get("lat") and row.get("lon"):
                yield {
                    "voie": row["nom_voie"],
                    "numero": row["numero"],
                    "rep": (row.get("rep") or "").lower(),
                    "code_postal": row["code_postal"],
                    "code_insee": row["code_insee"],
                    "latitude": row["lat"],
                    "longitude": row["lon"],
                    "ban_id": row["id"],
                }


@dataclass
class AddressReport:
    """What a BAN import did: addresses kept, places placed, places still without a point."""

    kept: int = 0
    placed: list[str] = field(default_factory=list)
    not_found: list[tuple[str, str]] = field(default_factory=list)


def import_addresses(
    source: Path, content_dir: Path, communes: Collection[str] = (BREST,)
) -> AddressReport:
    """Write content/adresses.csv from a BAN CSV, then place the places that have no point."""
    report = AddressReport()
    rows = sorted(ban_rows(source, communes), key=lambda r: (r["voie"], int(r["numero"] or 0)))
    report.kept = len(rows)
    write_rows(content_dir / ADDRESSES_FILE, ADDRESS_COLUMNS, rows)
    index = load_addresses(content_dir)
    schema = load_schema(content_dir)
    _, place_rows = read_rows(content_dir / PLACES_FILE)
    _, side_rows = read_rows(content_dir / COMPLEMENTS_FILE)
    places = [row for _, row in place_rows]
    sides = {row["id"]: row for _, row in side_rows}
    for row in places:
        if row["latitude"].strip() or row["itinerance"] == "Itinérant":
            continue
        found = index.lookup(row["adresse"])
        if found is None:
            report.not_found.append((row["id"], row["adresse"]))
            continue
        row["latitude"], row["longitude"] = f"{found[0]:.6f}", f"{found[1]:.6f}"
        report.placed.append(row["id"])
        if row["id"] in sides:
            note = f"coordonnées: BAN {found[2]} ({row['adresse']})"
            old = sides[row["id"]]["notes"]
            sides[row["id"]]["notes"] = f"{old}; {note}" if old else note
    write_rows(content_dir / PLACES_FILE, schema.columns, places)
    write_rows(content_dir / COMPLEMENTS_FILE, COMPLEMENT_COLUMNS, sides.values())
    return report
