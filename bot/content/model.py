"""Frozen dataclasses the content base loads into.

Shared contract: the understanding reads `GazetteerEntry`; every loader reports `Problem`s.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of the validator, printed as `file:line: message`."""

    path: str
    line: int | None
    message: str
    severity: str = "error"  # "error" stops start-up; "warning" is only printed

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.message}"


class ContentError(Exception):
    """Raised when the content base has errors; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """A named place residents use to say where they are: neighbourhood, street, landmark..."""

    id: str
    kind: str  # quartier | sous_quartier | repere | voie | code_postal | commune
    name: str
    aliases: tuple[str, ...]
    quartier: str | None  # id of the administrative neighbourhood it belongs to
    latitude: float
    longitude: float
