"""From a raw message to folded, SMS-expanded words that remember where they were written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

TOKEN_RE = re.compile(r"[^\W_]+|[€+&]")
REPEATED = re.compile(r"(.)\1{2,}")
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": "'"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents, ligatures or letters repeated three times or more."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(LIGATURES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return REPEATED.sub(r"\1", plain)


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised word and the span of the original text it comes from."""

    word: str
    start: int
    end: int
    rewritten: bool = False


class Normaliser:
    """Splits messages into words, folding them and expanding the SMS lexicon."""

    def __init__(self, rewrites: Mapping[str, str]) -> None:
        self.rewrites: dict[str, tuple[str, ...]] = {}
        for source, target in rewrites.items():
            key = fold(source)
            words = tuple(t.group() for t in TOKEN_RE.finditer(fold(target)))
            if words and words != (key,):
                self.rewrites[key] = words

    def tokens(self, text: str) -> list[Token]:
        """The words of `text`, each with its span; rewrites share their source's span."""
        out: list[Token] = []
        rewrites = self.rewrites
        for match in TOKEN_RE.finditer(text):
            word = fold(match.group())
            expansion = rewrites.get(word)
            start, end = match.span()
            if expansion is None:
                # "c'est" is written "c" + "est": do not repeat a word a rewrite just produced
                if out and out[-1].rewritten and out[-1].word == word:
                    continue
                out.append(Token(word, start, end))
                continue
            for part in expansion:
                if out and out[-1].word == part and (out[-1].rewritten or part != word):
                    continue
                out.append(Token(part, start, end, True))
        return out

    def words(self, text: str) -> tuple[str, ...]:
        """Just the normalised words of `text`."""
        return tuple(t.word for t in self.tokens(text))
