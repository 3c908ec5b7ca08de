"""Finding cue phrases (with `prefix*` words) in a message's words through a first-word index."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.understanding.normalise import TOKEN_RE, Normaliser, fold

PREFIX_KEY = 3  # prefix patterns are indexed by their first letters


@dataclass(frozen=True, slots=True)
class Hit:
    """A cue found at words[start:end]; `value` is the topic or service it names, if any."""

    concept: str
    value: str | None
    start: int
    end: int


Pattern = tuple[str, ...]  # words; one ending in "*" matches any word it starts


def compile_phrase(phrase: str, normaliser: Normaliser) -> Pattern:
    """The words of a cue phrase, normalised like messages; `*` marks a prefix."""
    words: list[str] = []
    for part in phrase.split():
        if part.endswith("*") and len(part) > PREFIX_KEY:
            words.extend(fold(t.group()) for t in TOKEN_RE.finditer(part[:-1]))
            words[-1] += "*"
        else:
            words.extend(normaliser.words(part))
    return tuple(words)


def _word_matches(pattern: str, word: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


class CueIndex:
    """All cue phrases, indexed by their first word (or its first letters for prefixes)."""

    def __init__(self, cues: Iterable[tuple[str, str | None, Pattern]]) -> None:
        self.exact: dict[str, list[tuple[Pattern, str, str | None]]] = defaultdict(list)
        self.prefix: dict[str, list[tuple[Pattern, str, str | None]]] = defaultdict(list)
        seen = set()
        for concept, value, pattern in cues:
            if not pattern or (concept, value, pattern) in seen:
                continue
            seen.add((concept, value, pattern))
            first = pattern[0]
            if first.endswith("*"):
                self.prefix[first[:PREFIX_KEY]].append((pattern, concept, value))
            else:
                self.exact[first].append((pattern, concept, value))

    def words(self) -> set[str]:
        """Every plain word of every cue, for the speller's vocabulary."""
        entries = [*self.exact.values(), *self.prefix.values()]
        return {w for group in entries for p, _, _ in group for w in p if not w.endswith("*")}

    def prefixes(self) -> set[str]:
        """Every `prefix*` word of every cue, without its star."""
        entries = [*self.exact.values(), *self.prefix.values()]
        return {w[:-1] for group in entries for p, _, _ in group for w in p if w.endswith("*")}

    def find(self, words: Sequence[str]) -> list[Hit]:
        """Every cue occurrence in `words`, in reading order."""
        hits: list[Hit] = []
        count = len(words)
        for i, word in enumerate(words):
            candidates = self.exact.get(word, [])
            prefixed = self.prefix.get(word[:PREFIX_KEY])
            if prefixed:
                candidates = candidates + [c for c in prefixed if word.startswith(c[0][0][:-1])]
            for pattern, concept, value in candidates:
                end = i + len(pattern)
                if end <= count and all(
                    _word_matches(p, w) for p, w in zip(pattern[1:], words[i + 1 : end])
                ):
                    hits.append(Hit(concept, value, i, end))
        return hits
