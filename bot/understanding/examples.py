"""Nearest typical phrasing, for messages no rule recognises."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

CUTOFF = 72.0  # token_set_ratio below this is not similar enough to trust
MAX_CANDIDATES = 200  # scored examples per message, whatever the number of phrasings


class ExampleIndex:
    """Example phrasings per intent, indexed by their uncommon words."""

    def __init__(self, examples: Iterable[tuple[str, Sequence[str]]], common: frozenset[str]):
        self.texts: list[str] = []
        self.intents: list[str] = []
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for intent, words in examples:
            index = len(self.texts)
            self.texts.append(" ".join(words))
            self.intents.append(intent)
            for word in set(words) - common:
                self.by_word[word].append(index)
        self.common = common

    def nearest(self, words: Sequence[str]) -> tuple[str, float] | None:
        """The intent of the most similar example and its similarity in [0, 1], if any."""
        rare = sorted(
            (w for w in set(words) - self.common if w in self.by_word),
            key=lambda w: len(self.by_word[w]),
        )
        candidates: dict[int, str] = {}
        for word in rare:
            for index in self.by_word[word][: MAX_CANDIDATES - len(candidates)]:
                candidates[index] = self.texts[index]
            if len(candidates) >= MAX_CANDIDATES:
                break
        if not candidates:
            return None
        best = process.extractOne(
            " ".join(words), candidates, scorer=fuzz.token_set_ratio, score_cutoff=CUTOFF
        )
        return (self.intents[best[2]], best[1] / 100) if best else None
