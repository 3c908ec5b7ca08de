"""When human mediators answer, for hand-off timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from opening_hours import OpeningHours

from bot.content.hours import parse_hours
from bot.content.model import Problem
from bot.content.yamlfile import as_mapping, as_text, load_yaml

MEDIATORS_FILE = "mediateurs.yaml"


@dataclass(frozen=True)
class MediatorHours:
    """Mediators' working hours (OSM opening_hours) and the promised reply delay."""

    horaires: str
    reply_within_hours: int
    note: str
    hours: OpeningHours = field(compare=False, repr=False)

    def on_duty(self, when: datetime | None = None) -> bool:
        """Whether mediators are working at `when` (now by default)."""
        return self.hours.is_open(when) if when else self.hours.is_open()

    def next_shift(self, when: datetime | None = None) -> datetime | None:
        """When the on-duty state next changes (the next opening when closed)."""
        return self.hours.next_change(when) if when else self.hours.next_change()


def load_mediators(content_dir: Path) -> tuple[MediatorHours | None, list[Problem]]:
    """Read mediateurs.yaml: `horaires`, `delai_reponse_heures`, `note`."""
    doc = load_yaml(content_dir, MEDIATORS_FILE)
    data = as_mapping(doc, (), doc.data or {})
    horaires = as_text(doc, ("horaires",), data.get("horaires"))
    delay = data.get("delai_reponse_heures")
    if not isinstance(delay, int) or isinstance(delay, bool) or delay <= 0:
        doc.error(("delai_reponse_heures",), "delai_reponse_heures: entier positif attendu")
        delay = 0
    try:
        hours = parse_hours(horaires) if horaires else None
    except ValueError as error:
        doc.error(("horaires",), str(error))
        hours = None
    if hours is None or doc.problems:
        return None, doc.problems
    note = as_text(doc, ("note",), data.get("note"), required=False)
    return MediatorHours(horaires, delay, note, hours), doc.problems
