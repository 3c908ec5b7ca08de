"""Phone numbers of the structures places belong to, and the mairie's switchboard.

A place without hours is only told "call first" with digits: its own number, else its
structure's (`structure_parente`), else the mairie's switchboard; never a bare "call".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.content.model import Problem
from bot.content.yamlfile import YamlDoc, as_mapping, as_text, load_yaml

STRUCTURES_FILE = "structures.yaml"
FRENCH_PHONE = re.compile(r"^(\+33|0)[1-9]( ?\d\d){4}$")


@dataclass(frozen=True)
class Phones:
    """Numbers to call when a place has none: by structure name, then the switchboard."""

    by_structure: Mapping[str, str] = field(default_factory=dict)
    switchboard: str | None = None

    def for_place(self, telephone: str | None, structure: str | None) -> str | None:
        """The place's number, else its structure's, else the switchboard, else None."""
        if telephone:
            return telephone
        if structure and structure in self.by_structure:
            return self.by_structure[structure]
        return self.switchboard


def load_phones(content_dir: Path) -> tuple[Phones, list[Problem]]:
    """Read structures.yaml (optional): each number needs a source and `verifie_le`."""
    if not (content_dir / STRUCTURES_FILE).exists():
        return Phones(), []
    doc = load_yaml(content_dir, STRUCTURES_FILE)
    data = as_mapping(doc, (), doc.data or {})
    numbers: dict[str, str] = {}
    for name, value in as_mapping(doc, ("structures",), data.get("structures") or {}).items():
        number = _number(doc, ("structures", name), value)
        if number:
            numbers[str(name)] = number
    switchboard = None
    if data.get("standard_mairie") is not None:
        switchboard = _number(doc, ("standard_mairie",), data["standard_mairie"])
    return Phones(numbers, switchboard), doc.problems


def _number(doc: YamlDoc, path: tuple[str, ...], value: object) -> str | None:
    entry = as_mapping(doc, path, value)
    number = as_text(doc, (*path, "telephone"), entry.get("telephone"))
    as_text(doc, (*path, "source"), entry.get("source"))
    if not isinstance(entry.get("verifie_le"), date):
        doc.error((*path, "verifie_le"), "verifie_le doit être une date AAAA-MM-JJ")
        return None
    if not FRENCH_PHONE.match(number):
        doc.error((*path, "telephone"), f"numéro de téléphone invalide {number!r}")
        return None
    return number
