"""Follow-up questions about a list of places already given (relances.yaml): its price,
the hours on a named day, open now, where, the phone. Words are matched as word beginnings
or phrases, without accents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.content.model import Problem
from bot.content.texts import folded
from bot.content.yamlfile import as_list, as_mapping, load_yaml

FOLLOWUPS_FILE = "relances.yaml"
FACETS = ("prix", "inscription", "ouvert", "adresse", "telephone")


def says_any(text: str, cues: Iterable[str]) -> bool:
    """Whether `text` holds one of the cues: a word beginning, or a phrase of whole words
    (an elision written without its apostrophe counts: "mabonne" begins with "abonn")."""
    words = folded(text).split()
    padded = f" {' '.join(words)} "
    for cue in cues:
        if " " in cue and f" {cue} " in padded:
            return True
        if " " not in cue and any(_starts(word, cue) for word in words):
            return True
    return False


def _starts(word: str, cue: str) -> bool:
    return word.startswith(cue) or (len(word) > len(cue) + 1 and word[1:].startswith(cue))


@dataclass(frozen=True)
class FollowUps:
    """The words of each follow-up, and the names of the days."""

    facets: Mapping[str, tuple[str, ...]]
    days: Mapping[str, int]

    def facet_in(self, text: str) -> str | None:
        """Which follow-up `text` asks: a facet of FACETS, or "day:N" (0 is Monday)."""
        day = self.day_in(text)
        if day is not None:
            return f"day:{day}"
        return next((f for f, cues in self.facets.items() if says_any(text, cues)), None)

    def day_in(self, text: str) -> int | None:
        padded = f" {folded(text)} "
        return next((n for name, n in self.days.items() if f" {name} " in padded), None)


def load_followups(content_dir: Path) -> tuple[FollowUps, list[Problem]]:
    """Read relances.yaml: a list of words per facet, and `jours: {nom: 0-6}`."""
    doc = load_yaml(content_dir, FOLLOWUPS_FILE)
    data = as_mapping(doc, (), doc.data or {})
    facets = {
        facet: tuple(folded(str(w)) for w in as_list(doc, (facet,), data.get(facet)))
        for facet in FACETS
    }
    days: dict[str, int] = {}
    for name, number in as_mapping(doc, ("jours",), data.get("jours")).items():
        if not isinstance(number, int) or not 0 <= number <= 6:
            doc.error(("jours", name), f"{name}: numéro de jour 0 (lundi) à 6 (dimanche) attendu")
            continue
        days[folded(str(name))] = number
    return FollowUps(facets, days), doc.problems
