"""The statistical second opinion: word and character n-grams with a linear model.

Pure Python (no numpy): a multinomial logistic regression over hashed-free string features,
trained offline by `aiguillage understanding train` and shipped as a small gzipped JSON file.
Each feature's seven class weights are packed into one Python integer, so scoring a message
is one integer addition per feature; the sums are unpacked once at the end.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("intent_model.json.gz")
SCALE = 64.0  # weights are stored as integers: round(w * SCALE)
SLOT_BITS = 28  # room in each packed slot for a sum of many offset weights
OFFSET = 1 << 15  # added to each stored weight so that every slot stays positive
MASK = (1 << SLOT_BITS) - 1
CHAR_SIZES = (3, 4)
WORD_CACHE = 50_000


def features(words: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams, and character 3- and 4-grams of each word with its edges."""
    found = [f"w:{w}" for w in words]
    found += [f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
    for word in words:
        padded = f"<{word}>"
        for size in CHAR_SIZES:
            found += [padded[i : i + size] for i in range(len(padded) - size + 1)]
    return found


@dataclass(frozen=True)
class Opinion:
    """The model's best intent and its probability."""

    intent: str
    probability: float
    words_known: int  # how many of the message's words (and word pairs) the model has seen


class IntentModel:
    """A trained linear model: classes, packed feature weights and biases."""

    def __init__(
        self, classes: Sequence[str], weights: dict[str, Sequence[int]], bias: Sequence[int]
    ) -> None:
        self.classes = tuple(classes)
        self.bias = [b / SCALE for b in bias]
        self.packed = {feature: _pack(ws) for feature, ws in weights.items()}
        self.words: dict[str, tuple[int, int, int]] = {}  # a word's features, computed once

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> IntentModel:
        """Read a model written by `save` (gzipped JSON)."""
        with gzip.open(path, "rt", encoding="utf-8") as file:
            data = json.load(file)
        return cls(data["classes"], data["weights"], data["bias"])

    def scores(self, words: Sequence[str]) -> list[float]:
        """Raw class scores (logits) of a message's words."""
        scores, _ = self._scores(words)
        return scores

    def _word(self, word: str) -> tuple[int, int, int]:
        """A word's own features (itself and its character grams): packed sum, count, known."""
        cached = self.words.get(word)
        if cached is None:
            packed = self.packed
            found = [packed[f] for f in features([word]) if f in packed]
            cached = (sum(found), len(found), int(f"w:{word}" in packed))
            if len(self.words) >= WORD_CACHE:
                self.words.clear()
            self.words[word] = cached
        return cached

    def _scores(self, words: Sequence[str]) -> tuple[list[float], int]:
        packed = self.packed
        total = count = known = 0
        for word in words:
            part, size, seen = self._word(word)
            total += part
            count += size
            known += seen
        for pair in zip(words, words[1:], strict=False):
            bigram = packed.get(f"b:{pair[0]}_{pair[1]}")
            if bigram is not None:
                total += bigram
                count += 1
                known += 1
        shift = count * OFFSET
        scores = [
            ((total >> (SLOT_BITS * k)) & MASK) / SCALE - shift / SCALE + self.bias[k]
            for k in range(len(self.classes))
        ]
        return scores, known

    def opinion(self, words: Sequence[str]) -> Opinion:
        """The most probable intent, with its softmax probability."""
        scores, known = self._scores(words)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        best = scores.index(top)
        return Opinion(self.classes[best], exps[best] / sum(exps), known)


def _pack(weights: Iterable[int]) -> int:
    """Seven small signed integers in one non-negative integer, one slot each."""
    packed = 0
    for k, weight in enumerate(weights):
        packed |= (int(weight) + OFFSET) << (SLOT_BITS * k)
    return packed


def save(
    path: Path,
    classes: Sequence[str],
    weights: Mapping[str, Sequence[float]],
    bias: Sequence[float],
) -> None:
    """Write a model as gzipped JSON with integer weights; byte-identical for the same input."""
    data = {
        "classes": list(classes),
        "bias": [round(b * SCALE) for b in bias],
        "weights": {f: [round(w * SCALE) for w in ws] for f, ws in sorted(weights.items())},
    }
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")
    with open(path, "wb") as file, gzip.GzipFile("", "wb", fileobj=file, mtime=0) as out:
        out.write(raw)
