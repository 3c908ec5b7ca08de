"""Finding cue phrases (with `prefix*` words) in a message's words through a word trie."""

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
    plain: list[str] = []  # normalised together, as in a message ("c est" stays two words)
    for part in phrase.split():
        if part.endswith("*") and len(part) > PREFIX_KEY:
            words.extend(normaliser.words(" ".join(plain)))
            plain = []
            words.extend(fold(t.group()) for t in TOKEN_RE.finditer(part[:-1]))
            words[-1] += "*"
        else:
            plain.append(part)
    words.extend(normaliser.words(" ".join(plain)))
    return tuple(words)


class _Node:
    """One word of a trie of cue phrases: what ends here and the words that may follow."""

    __slots__ = ("ends", "next", "stars")

    def __init__(self) -> None:
        self.ends: list[tuple[str, str | None]] = []
        self.next: dict[str, _Node] = {}
        self.stars: dict[str, _Node] = {}  # prefix (without "*") -> node


class CueIndex:
    """All cue phrases in a word trie: matching costs the depth of a match, not their number."""

    def __init__(self, cues: Iterable[tuple[str, str | None, Pattern]]) -> None:
        self.root = _Node()
        self.root_stars: dict[str, list[tuple[str, _Node]]] = defaultdict(list)
        self._plain: set[str] = set()
        self._prefixes: set[str] = set()
        for concept, value, pattern in cues:
            if pattern:
                self._add(concept, value, pattern)
        for prefix, node in self.root.stars.items():
            self.root_stars[prefix[:PREFIX_KEY]].append((prefix, node))

    def _add(self, concept: str, value: str | None, pattern: Pattern) -> None:
        node = self.root
        for word in pattern:
            if word.endswith("*"):
                self._prefixes.add(word[:-1])
                node = node.stars.setdefault(word[:-1], _Node())
            else:
                self._plain.add(word)
                node = node.next.setdefault(word, _Node())
        if (concept, value) not in node.ends:
            node.ends.append((concept, value))

    def words(self) -> set[str]:
        """Every plain word of every cue, for the speller's vocabulary."""
        return set(self._plain)

    def prefixes(self) -> set[str]:
        """Every `prefix*` word of every cue, without its star."""
        return set(self._prefixes)

    def _children(self, node: _Node, word: str, root: bool) -> list[_Node]:
        found = [node.next[word]] if word in node.next else []
        stars = self.root_stars.get(word[:PREFIX_KEY], ()) if root else node.stars.items()
        found.extend(child for prefix, child in stars if word.startswith(prefix))
        return found

    def find(self, words: Sequence[str]) -> list[Hit]:
        """Every cue occurrence in `words`, in reading order."""
        hits: list[Hit] = []
        for i, word in enumerate(words):
            frontier = self._children(self.root, word, root=True)
            end = i + 1
            while frontier:
                for node in frontier:
                    hits.extend(Hit(concept, value, i, end) for concept, value in node.ends)
                if end >= len(words):
                    break
                frontier = [c for n in frontier for c in self._children(n, words[end], False)]
                end += 1
        return hits
