"""Scoring predictions against labelled messages with the rules of the label guide."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from bot.content.language import INTENTS

Record = Mapping[str, Any]  # one labelled message or prediction, as read from JSON Lines


class Miss(TypedDict):
    """A message with at least one wrong field."""

    id: object
    wrong: list[str]
    gold: Record
    got: Record


LEADING = frozenset(
    [
        "a",
        "au",
        "aux",
        "vers",
        "pres",
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l",
        "dans",
        "quartier",
    ]
)
GENERIC = frozenset(["rue", "place", "avenue", "gare", "mairie", "saint", "st", "sainte", "ste"])
SLOTS = ("topic", "service", "open_now", "near")
SLOT_INTENTS = {
    "topic": {"find_mediator"},
    "service": {"find_place"},
    "open_now": {"find_place"},
    "near": {"find_place", "housing_internet", "find_mediator"},
}


def _near_words(value: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", value.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    while words and words[0] in LEADING:
        words = words[1:]
    return words


def _contains(longer: list[str], shorter: list[str]) -> bool:
    size = len(shorter)
    return any(longer[i : i + size] == shorter for i in range(len(longer) - size + 1))


def near_matches(predicted: str | None, gold: str | None) -> bool:
    """The README's rule: equal after normalising, or a whole-word part keeping a real name."""
    if predicted is None or gold is None:
        return predicted is None and gold is None
    a, b = _near_words(predicted), _near_words(gold)
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return _contains(longer, shorter) and any(w not in GENERIC for w in shorter)


@dataclass
class Scores:
    """Counts behind every figure of the evaluation report."""

    total: int = 0
    intent_correct: int = 0
    fully_correct: int = 0
    slot_seen: Counter[str] = field(default_factory=Counter)
    slot_correct: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[Miss] = field(default_factory=list)

    def macro_f1(self) -> float:
        """Mean F1 over the seven intents (an intent never seen nor predicted is skipped)."""
        f1s = []
        for intent in INTENTS:
            tp = self.confusion[intent, intent]
            gold = sum(n for (g, _), n in self.confusion.items() if g == intent)
            predicted = sum(n for (_, p), n in self.confusion.items() if p == intent)
            if gold or predicted:
                f1s.append(2 * tp / (gold + predicted))
        return sum(f1s) / len(f1s) if f1s else 0.0

    def rate(self, name: str) -> float:
        """Accuracy of "intent", "fully_correct" or one slot (over the cases it applies to)."""
        if name == "intent":
            return self.intent_correct / self.total if self.total else 0.0
        if name == "fully_correct":
            return self.fully_correct / self.total if self.total else 0.0
        seen = self.slot_seen[name]
        return self.slot_correct[name] / seen if seen else 1.0


def slot_correct(slot: str, predicted: Record, gold: Record) -> bool:
    """One slot compared as the guide says (near with its own rule)."""
    if slot == "near":
        return near_matches(predicted.get("near"), gold.get("near"))
    return predicted.get(slot) == gold.get(slot)


def score(pairs: Iterable[tuple[Record, Record]]) -> Scores:
    """Score (prediction, gold) pairs; slots count only where the intent is right."""
    scores = Scores()
    for predicted, gold in pairs:
        scores.total += 1
        scores.confusion[gold["intent"], predicted["intent"]] += 1
        wrong = []
        if predicted["intent"] != gold["intent"]:
            wrong.append("intent")
        else:
            scores.intent_correct += 1
            for slot in SLOTS:
                if gold["intent"] in SLOT_INTENTS[slot]:
                    scores.slot_seen[slot] += 1
                    if slot_correct(slot, predicted, gold):
                        scores.slot_correct[slot] += 1
                    else:
                        wrong.append(slot)
        if wrong:
            scores.errors.append(
                {"id": gold.get("id"), "wrong": wrong, "gold": gold, "got": predicted}
            )
        else:
            scores.fully_correct += 1
    return scores
