"""Training the second opinion offline: a corpus of labelled messages and generated variants.

`aiguillage understanding train` reads the labelled sets named in TRAINING_SETS and the
phrasings of content/langue/exemples.yaml, writes variants of each (spelling, SMS
abbreviations, word order, politeness, context sentences), and fits the linear model of
`classifier.py` by stochastic gradient descent. Everything is seeded: the same inputs give
the same file, byte for byte. The newest blind sets are left out, so that they still measure.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from bot.content.language import INTENTS, Language
from bot.understanding.classifier import MODEL_FILE, features, save
from bot.understanding.normalise import fold

TRAINING_SETS = (
    "dev.jsonl", "extra.jsonl", "heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl",
    "heldout4.jsonl", "heldout5.jsonl",
)  # fmt: skip
SEED = 13
VARIANTS = 6  # generated variants per labelled message
EPOCHS = 6
RATE = 0.2
MIN_COUNT = 2  # a feature seen once in the corpus is noise
PRUNE = 0.02  # features whose weights all stay below this are dropped from the file
OPENINGS = (
    "bonjour", "bonjour madame", "slt", "bjr", "bonsoir monsieur,", "hello",
    "bonjour excusez moi de vous deranger,", "salam", "cc", "bonjour a vous,",
)  # fmt: skip
CLOSINGS = ("merci", "svp", "stp", "merci d avance", "merci beaucoup", "please", "svp merci")
CONTEXTS = (
    "je suis nouvelle a brest.", "on m a donne ce numero.", "j ai 70 ans.",
    "je vous ecris pour ma mere.", "je suis au telephone de mon fils.", "desole pour les fautes.",
    "je parle pas bien francais.", "c est mon voisin qui m a dit de vous ecrire.",
)  # fmt: skip
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def labelled(folder: Path, names: Sequence[str] = TRAINING_SETS) -> list[tuple[str, str]]:
    """(text, intent) of every message of the named labelled sets."""
    pairs = []
    for name in names:
        for line in (folder / name).read_text("utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                pairs.append((case["text"], case["intent"]))
    return pairs


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the thumb: a letter dropped, doubled, swapped or replaced."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice(LETTERS) + word[i + 1 :]


def variants(text: str, sms: dict[str, list[str]], rng: random.Random) -> Iterator[str]:
    """Systematic rewordings that keep the intent of `text`."""
    plain = fold(text)
    words = plain.split()
    yield plain  # no accents, lower case
    # SMS spelling: standard forms written as residents abbreviate them
    shortened = [rng.choice(sms[w]) if w in sms and rng.random() < 0.7 else w for w in words]
    yield " ".join(shortened)
    # typos in one or two longer words
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    typoed = list(words)
    for i in rng.sample(long, min(2, len(long))):
        typoed[i] = _typo(typoed[i], rng)
    yield " ".join(typoed)
    # politeness around the request
    yield f"{rng.choice(OPENINGS)} {text} {rng.choice(CLOSINGS)}"
    # a context sentence before it
    yield f"{rng.choice(CONTEXTS)} {text}"
    # clauses in another order
    clauses = [c.strip() for c in re.split(r"[,.;!?]", text) if c.strip()]
    yield " ".join(reversed(clauses)) if len(clauses) > 1 else f"{text} {rng.choice(CLOSINGS)}"


def corpus(
    folder: Path, language: Language, rng: random.Random, sets: Sequence[str] = TRAINING_SETS
) -> list[tuple[str, str]]:
    """The labelled messages, the content's example phrasings, and their variants."""
    base = labelled(folder, sets)
    base += [(p, intent) for intent, phrases in language.examples.items() for p in phrases]
    sms: dict[str, list[str]] = {}
    for short, standard in sorted(language.rewrites.items()):
        if " " not in standard.strip():
            sms.setdefault(fold(standard), []).append(fold(short))
    out = []
    for text, intent in base:
        out.append((text, intent))
        out.extend((v, intent) for v in list(variants(text, sms, rng))[:VARIANTS])
    return out


def train(
    examples: Sequence[tuple[Sequence[str], str]], rng: random.Random
) -> tuple[dict[str, list[float]], list[float]]:
    """Multinomial logistic regression by SGD over the examples' features."""
    classes = {c: k for k, c in enumerate(INTENTS)}
    counts = Counter(f for words, _ in examples for f in set(features(words)))
    rows = [
        # sorted: the same sums in the same order whatever the hash seed
        (sorted(f for f in set(features(words)) if counts[f] >= MIN_COUNT), classes[intent])
        for words, intent in examples
    ]
    weights: dict[str, list[float]] = {}
    bias = [0.0] * len(classes)
    order = list(range(len(rows)))
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        rate = RATE / (1 + epoch)
        for index in order:
            feats, gold = rows[index]
            scores = list(bias)
            for f in feats:
                ws = weights.get(f)
                if ws:
                    scores = [s + w for s, w in zip(scores, ws, strict=True)]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            grads = [e / total - (k == gold) for k, e in enumerate(exps)]
            if max(abs(g) for g in grads) < 0.01:
                continue  # already sure and right
            step = [rate * g for g in grads]
            bias = [b - s for b, s in zip(bias, step, strict=True)]
            for f in feats:
                ws = weights.setdefault(f, [0.0] * len(classes))
                for k, s in enumerate(step):
                    ws[k] -= s
    kept = {f: ws for f, ws in weights.items() if max(abs(w) for w in ws) >= PRUNE}
    return kept, bias


def build(
    folder: Path,
    language: Language,
    words_of: Callable[[str], Sequence[str]],
    path: Path = MODEL_FILE,
    sets: Sequence[str] = TRAINING_SETS,
) -> dict[str, int]:
    """Generate the corpus, train, write the model file; returns what was done."""
    rng = random.Random(SEED)
    examples = corpus(folder, language, rng, sets)
    weights, bias = train([(words_of(t), i) for t, i in examples], rng)
    save(path, INTENTS, weights, bias)
    return {"messages": len(examples), "features": len(weights), "bytes": path.stat().st_size}
