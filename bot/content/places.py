"""Places of digital help: the national-schema lieux.csv and our side file keyed by id."""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple, TypeVar, cast

from opening_hours import OpeningHours

from bot.content.csvfile import open_rows
from bot.content.hours import place_hours
from bot.content.model import Problem
from bot.content.schema import Schema, check_row, parse_date, split_multi
from bot.content.topics import TOPICS

PLACES_FILE = "lieux.csv"
COMPLEMENTS_FILE = "lieux_complements.csv"
COMPLEMENT_COLUMNS = (
    "id", "quartier", "themes", "papi", "services_bot", "verifie_le", "source", "notes",
)  # fmt: skip
BOT_SERVICES = ("internet", "print", "scan", "wifi", "workshop")
STALE_AFTER = timedelta(days=365)
NATIONAL_HEADER = "colonnes du schéma national v1.0.2 attendues, dans l'ordre"
V = TypeVar("V", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Place:
    """One place: national-schema fields parsed, plus our side-file additions."""

    id: str
    nom: str
    adresse: str
    code_postal: str
    commune: str
    latitude: float | None
    longitude: float | None
    telephone: str | None
    courriels: tuple[str, ...]
    site_web: tuple[str, ...]
    horaires: str | None
    typologie: tuple[str, ...]
    services: tuple[str, ...]  # national vocabulary
    dispositifs: tuple[str, ...]  # dispositif_programmes_nationaux
    frais: tuple[str, ...]
    modalites_acces: tuple[str, ...]
    modalites_accompagnement: tuple[str, ...]
    itinerance: str | None
    presentation: str | None
    prise_rdv: str | None
    date_maj: date
    quartier: str | None  # gazetteer id
    themes: tuple[str, ...]  # topics of aide_par_theme.yaml it helps with
    papi: bool
    services_bot: frozenset[str]  # internet | print | scan | wifi | workshop
    verifie_le: date | None
    source: str
    structure: str | None = None  # structure_parente: whose number to give when it has none

    @property
    def hours(self) -> OpeningHours | None:
        """The parsed `horaires`, shared by every place with the same expression."""
        return place_hours(self.horaires) if self.horaires else None


class SideFields(NamedTuple):
    """A place's fields from lieux_complements.csv, kept as a tuple until the join."""

    line: int
    quartier: str | None
    themes: tuple[str, ...]
    papi: bool
    services_bot: frozenset[str]
    verifie_le: date
    source: str


class Shared(dict[Hashable, Hashable]):
    """One copy of each repeated value (vocabulary, commune, date...) across a load's places."""

    def __call__(self, value: V) -> V:
        """The first value equal to `value` seen by this pool."""
        # Equal keys map to the first value seen, of the same type as `value`.
        return cast(V, self.setdefault(value, value))

    def multi(self, cell: str) -> tuple[str, ...]:
        """A multi-value cell split, its parts and the tuple itself shared."""
        return self(tuple(self(part) for part in split_multi(cell)))


def load_places(
    content_dir: Path, schema: Schema, quartiers: Collection[str], today: date
) -> tuple[tuple[Place, ...], list[Problem]]:
    """Read lieux.csv and lieux_complements.csv, check both, and join them by id."""
    path = content_dir / PLACES_FILE
    if not path.exists():
        return (), [Problem(PLACES_FILE, None, "fichier manquant")]
    problems: list[Problem] = []
    lines: dict[str, int] = {}  # first line of each id of lieux.csv
    places, shared = [], Shared()
    with open_rows(path) as (header, rows):
        if tuple(header) != schema.columns:
            return (), [Problem(PLACES_FILE, 1, f"{NATIONAL_HEADER}: {schema.columns}")]
        # The side file first (a few fields a place): lieux.csv is then streamed, each valid
        # row made into its Place at once.
        sides, rejected, side_problems = _load_complements(content_dir, quartiers, today, shared)
        for line, row in rows:
            found = [message for _, message in check_row(schema, row)]
            if row["id"] in lines:
                found.append(f"identifiant en double {row['id']!r} (déjà ligne {lines[row['id']]})")
            lines.setdefault(row["id"], line)
            if not found and row["id"] not in sides:
                found.append(
                    f"{row['id']}: aucune ligne dans {COMPLEMENTS_FILE} (quartier, thèmes, PAPI)"
                )
            problems += [Problem(PLACES_FILE, line, message) for message in found]
            if not found:
                places.append(_place(row, sides.pop(row["id"]), shared))
    unused = [*rejected, *((side.line, side_id) for side_id, side in sides.items())]
    for line, side_id in unused:
        if side_id not in lines:
            message = f"id {side_id!r} absent de {PLACES_FILE}"
            side_problems.append(Problem(COMPLEMENTS_FILE, line, message))
    return tuple(places), problems + sorted(side_problems, key=lambda p: p.line or 0)


def _load_complements(
    content_dir: Path, quartiers: Collection[str], today: date, shared: Shared
) -> tuple[dict[str, SideFields], list[tuple[int, str]], list[Problem]]:
    """Accepted side fields by id, the (line, id) of rejected rows, and the problems found."""
    path = content_dir / COMPLEMENTS_FILE
    if not path.exists():
        return {}, [], [Problem(COMPLEMENTS_FILE, None, "fichier manquant")]
    problems: list[Problem] = []
    complements: dict[str, SideFields] = {}
    rejected: list[tuple[int, str]] = []
    with open_rows(path) as (header, rows):
        if tuple(header) != COMPLEMENT_COLUMNS:
            problem = Problem(COMPLEMENTS_FILE, 1, f"colonnes attendues: {COMPLEMENT_COLUMNS}")
            return {}, [], [problem]
        for line, row in rows:
            found = _check_complement(row, quartiers, today)
            if row["id"] in complements:
                found.append(f"identifiant en double {row['id']!r}")
            verified = parse_date(row["verifie_le"])
            if verified is not None and today - verified > STALE_AFTER:
                since = verified.isoformat()
                stale = f"{row['id']}: pas vérifié depuis le {since} (plus de 12 mois)"
                problems.append(Problem(COMPLEMENTS_FILE, line, stale, "warning"))
            problems += [Problem(COMPLEMENTS_FILE, line, message) for message in found]
            if found:
                rejected.append((line, row["id"]))
            else:
                complements[row["id"]] = _side_fields(line, row, shared)
    return complements, rejected, problems


def _check_complement(row: dict[str, str], quartiers: Collection[str], today: date) -> list[str]:
    found = []
    if row["quartier"] and row["quartier"] not in quartiers:
        found.append(f"quartier inconnu {row['quartier']!r} (id de quartier de gazetteer.csv)")
    found += [f"thème inconnu {t!r}" for t in split_multi(row["themes"]) if t not in TOPICS]
    bad = [s for s in split_multi(row["services_bot"]) if s not in BOT_SERVICES]
    found += [f"services_bot: valeur inconnue {s!r} ({'|'.join(BOT_SERVICES)})" for s in bad]
    if row["papi"] not in ("oui", "non"):
        found.append(f"papi doit valoir oui ou non, pas {row['papi']!r}")
    verified = parse_date(row["verifie_le"]) if row["verifie_le"] else None
    if verified is None:
        found.append(f"verifie_le doit être une date AAAA-MM-JJ, pas {row['verifie_le']!r}")
    elif verified > today:
        found.append(f"verifie_le est dans le futur: {verified.isoformat()}")
    if not row["source"].strip():
        found.append("source obligatoire: d'où vient cette information")
    return found


def _place(row: dict[str, str], side: SideFields, shared: Shared) -> Place:
    # Free text and ids are kept as read; vocabularies, communes and dates are shared.
    lat, lon = row["latitude"].strip(), row["longitude"].strip()
    return Place(
        id=row["id"],
        nom=row["nom"].strip(),
        adresse=row["adresse"].strip(),
        code_postal=shared(row["code_postal"].strip()),
        commune=shared(row["commune"].strip()),
        latitude=float(lat) if lat else None,
        longitude=float(lon) if lon else None,
        telephone=row["telephone"].strip() or None,
        courriels=split_multi(row["courriels"]),
        site_web=split_multi(row["site_web"]),
        horaires=shared(row["horaires"].strip()) or None,
        typologie=shared.multi(row["typologie"]),
        services=shared.multi(row["services"]),
        dispositifs=shared.multi(row["dispositif_programmes_nationaux"]),
        frais=shared.multi(row["frais_a_charge"]),
        modalites_acces=shared.multi(row["modalites_acces"]),
        modalites_accompagnement=shared.multi(row["modalites_accompagnement"]),
        itinerance=shared(row["itinerance"].strip()) or None,
        presentation=row["presentation_resume"].strip() or None,
        prise_rdv=row["prise_rdv"].strip() or None,
        date_maj=shared(date.fromisoformat(row["date_maj"].strip())),
        quartier=side.quartier,
        themes=side.themes,
        papi=side.papi,
        services_bot=side.services_bot,
        verifie_le=side.verifie_le,
        source=side.source,
        structure=shared(row["structure_parente"].strip()) or None,
    )


def _side_fields(line: int, row: dict[str, str], shared: Shared) -> SideFields:
    return SideFields(
        line=line,
        quartier=shared(row["quartier"]) or None,
        themes=shared.multi(row["themes"]),
        papi=row["papi"] == "oui",
        services_bot=shared(frozenset(shared.multi(row["services_bot"]))),
        verifie_le=shared(date.fromisoformat(row["verifie_le"])),
        source=shared(row["source"].strip()),
    )
