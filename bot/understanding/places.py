"""Finding the place a message names: gazetteer names, streets, postal codes, Breton names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.content.model import GazetteerEntry
from bot.understanding.normalise import Normaliser, Token

POSTAL_CODE = re.compile(r"29\d{3}")
ARTICLES = frozenset({"le", "la", "les", "l", "the"})
LINKS = frozenset({"de", "du", "des", "d", "la", "l", "le"})
BRETON = ("ker", "lan", "pen", "plou", "gou", "tre", "loc", "lam", "pont", "saint", "sainte")
BREAK = re.compile(r"[,.;:!?()\n]")
FUZZY_WORDS = 3  # names of up to three words are matched despite typos


def fuzzy_threshold(size: int) -> float | None:
    """The ratio a name of `size` letters needs: short names must be exact, long ones less so."""
    if size < 5:
        return None
    return 88.0 if size <= 7 else 82.0


@dataclass(frozen=True, slots=True)
class PlaceHit:
    """A place named at tokens[start:end], resolved to a gazetteer entry or not."""

    start: int
    end: int
    entry: GazetteerEntry | None


class PlaceFinder:
    """Precomputed name index of the gazetteer plus patterns for places it does not list."""

    def __init__(
        self,
        gazetteer: Sequence[GazetteerEntry],
        normaliser: Normaliser,
        common_words: frozenset[str],
        streets: frozenset[str],
        generic: frozenset[str],
        not_a_place: frozenset[tuple[str, ...]],
        cue_words: frozenset[str],
    ) -> None:
        self.names: dict[tuple[str, ...], GazetteerEntry] = {}
        for entry in gazetteer:
            names = (entry.name, *entry.aliases)
            # "Creac'h" is often written "Creach": index names without their apostrophes too
            for name in (*names, *(n.replace("'", "").replace("’", "") for n in names)):
                words = normaliser.words(name)
                while len(words) > 1 and words[0] in ARTICLES:
                    words = words[1:]
                if words and words not in not_a_place:
                    known = self.names.get(words)
                    # "Guilers" alone is the town; the street needs "rue de Guilers"
                    if known is None or known.kind == "voie" and entry.kind != "voie":
                        self.names[words] = entry
        self.longest = max((len(k) for k in self.names), default=1)
        # the lengths of the names starting with each word, longest first
        sizes: dict[str, set[int]] = {}
        for words in self.names:
            sizes.setdefault(words[0], set()).add(len(words))
        self.sizes = {w: tuple(sorted(s, reverse=True)) for w, s in sizes.items()}
        # typo-tolerant names (not streets: too many, and a typo there rarely matters)
        # bucketed by word count and first letter (a typo rarely hits the first letter)
        self.fuzzy: dict[tuple[int, str], dict[str, GazetteerEntry]] = {}
        for words, entry in self.names.items():
            if entry.kind != "voie" and len(words) <= FUZZY_WORDS:
                bucket = self.fuzzy.setdefault((len(words), words[0][0]), {})
                bucket.setdefault(" ".join(words), entry)
        self.fuzzy_first = {name.split()[0] for names in self.fuzzy.values() for name in names}
        self.normaliser = normaliser
        self.common, self.streets, self.generic = common_words, streets, generic
        self.not_a_place, self.cue_words = not_a_place, cue_words

    def vocabulary(self) -> set[str]:
        """Every word of every place name, for the speller."""
        return {w for name in self.names for w in name}

    def _gazetteer_hit(self, words: Sequence[str], i: int, after_preposition: bool) -> int:
        """Length of the longest gazetteer name starting at words[i], or 0."""
        left = len(words) - i
        for size in self.sizes.get(words[i], ()):
            if size > left:
                continue
            key = tuple(words[i : i + size])
            if key in self.names:
                # "la poste" is also "un poste internet": one everyday or cue word needs "à"
                ambiguous = key[0] in self.common or key[0] in self.cue_words
                if size == 1 and ambiguous and not after_preposition:
                    continue
                return size
        return 0

    def _name_run(self, tokens: Sequence[Token], text: str, i: int, limit: int) -> int:
        """How many tokens from i form a name: unknown or capitalised words, no punctuation."""
        end = i
        while end < len(tokens) and end - i < limit:
            token = tokens[end]
            if end > i and BREAK.search(text, tokens[end - 1].end, token.start):
                break
            known = token.word in self.common or token.word in self.cue_words
            if known and not text[token.start].isupper() and token.word not in LINKS:
                break
            if token.word in LINKS and (end + 1 >= len(tokens) or end == i):
                break
            end += 1
        while end > i and tokens[end - 1].word in LINKS:
            end -= 1
        return end - i

    def find(
        self, tokens: Sequence[Token], text: str, prepositions: set[int], bare: bool = False
    ) -> list[PlaceHit]:
        """Places in reading order; `prepositions` are indexes following a place preposition."""
        words = [t.word for t in tokens]
        hits: list[PlaceHit] = []
        i = 0
        while i < len(words):
            after = i in prepositions or bare
            size = self._gazetteer_hit(words, i, after)
            entry = self.names.get(tuple(words[i : i + size])) if size else None
            if entry and entry.kind == "voie" and not after:
                size, entry = 0, None  # bare street names are often something else
            if size and all(w in self.generic for w in words[i : i + size]):
                size += self._named_after(tokens, text, i + size)
            if not size and after:
                size, entry = self._fuzzy_hit(tokens, text, i)
            if not size:
                size, entry = self._pattern_hit(tokens, text, i, after)
            if size and tuple(words[i : i + size]) not in self.not_a_place:
                hits.append(PlaceHit(i, i + size, entry))
                i += size
            else:
                i += 1
        return hits

    def _fuzzy_hit(
        self, tokens: Sequence[Token], text: str, i: int
    ) -> tuple[int, GazetteerEntry | None]:
        """A gazetteer name written with typos ("st piere", "cavale blanch"): (tokens, entry)."""
        first = tokens[i].word
        everyday = first in self.common or first in self.cue_words
        if everyday and first not in self.fuzzy_first:
            return 0, None
        for size in range(min(FUZZY_WORDS, len(tokens) - i), 0, -1):
            end = tokens[i + size - 1].end
            if BREAK.search(text, tokens[i].start, end):
                continue
            written = " ".join(self.normaliser.words(text[tokens[i].start : end]))
            needed = fuzzy_threshold(len(written))
            names = self.fuzzy.get((len(written.split()), written[:1]))
            if needed is None or not names:
                continue
            found = process.extractOne(
                written, names.keys(), scorer=fuzz.ratio, score_cutoff=needed
            )
            if found:
                spanned = sum(1 for t in tokens[i:] if t.end <= end)
                return spanned, names[found[0]]
        return 0, None

    def _named_after(self, tokens: Sequence[Token], text: str, i: int) -> int:
        """Tokens of "de la Cavale Blanche" after a street or landmark word, or 0."""
        link = i
        while link < len(tokens) and link - i < 2 and tokens[link].word in LINKS:
            link += 1
        if 0 < link < len(tokens) and BREAK.search(text, tokens[link - 1].end, tokens[link].start):
            return 0  # "à la maison. On est…": a new sentence, not a name
        run = self._name_run(tokens, text, link, 3)
        return link - i + run if run else 0

    def _pattern_hit(
        self, tokens: Sequence[Token], text: str, i: int, after: bool
    ) -> tuple[int, GazetteerEntry | None]:
        """A street, postal code, landmark or unlisted name starting at i: (length, entry)."""
        word = tokens[i].word
        if POSTAL_CODE.fullmatch(word):
            return 1, self.names.get((word,))
        if word in self.streets or word in self.generic:
            size = self._named_after(tokens, text, i + 1)
            if size:
                name = tuple(t.word for t in tokens[i + 1 : i + 1 + size] if t.word not in LINKS)
                return 1 + size, self.names.get(name)
            return (1 if after and word not in self.streets else 0), None
        if word in self.common or word in self.cue_words or not word.isalpha():
            return 0, None
        capitalised = text[tokens[i].start].isupper()
        if after and (capitalised or word.startswith(BRETON)):
            return self._name_run(tokens, text, i, 3), None
        return 0, None

    def is_unknown(self, word: str) -> bool:
        """A word that is neither everyday French nor a cue: maybe an unlisted place name."""
        return word.isalpha() and word not in self.common and word not in self.cue_words

    def is_generic(self, tokens: Sequence[Token], hit: PlaceHit) -> bool:
        """Whether a hit is only a landmark word such as "gare" or "mairie"."""
        return all(t.word in self.generic for t in tokens[hit.start : hit.end])
