"""Correcting typos towards the words the understanding knows, with small candidate sets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 5  # shorter words are too ambiguous to correct
CACHE_SIZE = 50_000
ELIDED = frozenset("dljmnst")  # d', l', j', m', n', s', t' written without the apostrophe
VOWELS = frozenset("aeiouyh")


class Speller:
    """Maps an unknown word to a known word at edit distance 1 (2 for long words)."""

    def __init__(self, vocabulary: Iterable[str], prefixes: Iterable[str] = ()) -> None:
        self.known = frozenset(w for w in vocabulary if w)
        self.prefixes = tuple(sorted(set(prefixes)))  # words starting so are known too
        # candidates share the first letter and have about the same length
        self.buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in sorted(self.known):  # sorted: ties go the same way in every process
            if len(word) >= MIN_LENGTH - 1 and word.isalpha():
                self.buckets[word[0], len(word)].append(word)
        self.cache: dict[str, str] = {}

    def words_of(self, word: str) -> tuple[str, ...]:
        """The known word(s) a written word stands for: "dimpots" is "d" + "impots"."""
        if word in self.known:
            return (word,)
        rest = word[1:]
        if word[0] in ELIDED and len(rest) >= 3 and rest[0] in VOWELS:
            known_rest = rest if rest in self.known else self.correct(rest)
            if known_rest in self.known:
                return word[0], known_rest
        return (self.correct(word),)

    def correct(self, word: str) -> str:
        """`word` itself when known or too short, else its closest known word if close enough."""
        if word in self.known or len(word) < MIN_LENGTH or not word.isalpha():
            return word
        if word.startswith(self.prefixes):
            return word
        cached = self.cache.get(word)
        if cached is not None:
            return cached
        budget = 2 if len(word) >= 9 else 1
        candidates = [
            candidate
            for size in range(len(word) - budget, len(word) + budget + 1)
            for candidate in self.buckets.get((word[0], size), ())
        ]
        best = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=budget)
        corrected = best[0] if best else word
        if len(self.cache) >= CACHE_SIZE:
            self.cache.clear()
        self.cache[word] = corrected
        return corrected
