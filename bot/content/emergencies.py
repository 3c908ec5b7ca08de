"""Emergency and listening lines by situation (urgences.yaml), each with its source and date.

The bot gives them first, before any hand-off, when a message tells of distress.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.content.model import Problem
from bot.content.topics import Helpline, helplines
from bot.content.yamlfile import as_list, as_mapping, load_yaml

EMERGENCIES_FILE = "urgences.yaml"
SITUATIONS = ("medical", "violence", "suicide", "child", "eviction", "homeless")


@dataclass(frozen=True)
class Emergency:
    """What to call in one situation, most urgent first."""

    id: str
    lines: tuple[Helpline, ...]


def load_emergencies(content_dir: Path) -> tuple[Mapping[str, Emergency], list[Problem]]:
    """Read urgences.yaml; every situation of SITUATIONS needs at least one line."""
    doc = load_yaml(content_dir, EMERGENCIES_FILE)
    data = as_mapping(doc, (), doc.data or {})
    lines = helplines(doc, data)
    for key, line in lines.items():
        if line.verified is None:
            doc.error(("lignes", key), f"{key}: verifie_le manque (date de vérification)")
    described = as_mapping(doc, ("situations",), data.get("situations"))
    found: dict[str, Emergency] = {}
    for key in SITUATIONS:
        refs = as_list(doc, ("situations", key), described.get(key))
        if not refs:
            doc.error(("situations",), f"situation sans numéro: {key}")
        unknown = [r for r in refs if r not in lines]
        for ref in unknown:
            doc.error(("situations", key), f"{key}: ligne inconnue {ref!r}")
        found[key] = Emergency(key, tuple(lines[r] for r in refs if r in lines))
    for key in set(described) - set(SITUATIONS):
        doc.error(("situations", key), f"situation inconnue {key!r} ({', '.join(SITUATIONS)})")
    return found, doc.problems
