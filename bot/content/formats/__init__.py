"""Readers of the real sources, each turning its records into national-schema v1 rows.

`content import FILE --format NAME` picks one: `mednum` (the national export, v1 or v0.1),
`data-inclusion` (schema 1.0.x, JSON or CSV), `gogocarto` (a GoGoCarto JSON export) and
`dila` (Annuaire de l'administration, JSON). The BAN is not a source of places: see
bot/content/addresses.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from bot.content.formats import datainclusion, dila, gogocarto

Reader = Callable[[Path], Iterable[tuple[str, Mapping[str, str]]]]
READERS: dict[str, Reader] = {
    "data-inclusion": datainclusion.read,
    "gogocarto": gogocarto.read,
    "dila": dila.read,
}
FORMATS = ("mednum", *READERS)
