"""The slots of a message: topic, service, open_now and near."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import cast

from bot.understanding.cues import Hit
from bot.understanding.intents import Signals
from bot.understanding.model import Near
from bot.understanding.normalise import Token
from bot.understanding.places import ARTICLES, PlaceFinder

OWN = frozenset({"mon", "ma", "my", "son", "notre", "propre"})  # own laptop: they want wifi
VAGUE_TOPIC_WEIGHT = 0.5  # "mairie", "service public": any named body beats them
PHRASE_BONUS = 0.25  # extra weight per word of a topic phrase
HOME_GAP = 3
WORK_GAP = 3  # "je suis conseillère au CDAS de Saint-Marc": the writer's workplace
NEGATED = (
    ["pas"],
    ["non"],
    ["pas", "besoin", "d"],
    ["pas", "besoin", "de"],
    ["no"],
    ["not"],
)  # "j'habite dans le quartier de X": words between the cue and the place


def topic_of(s: Signals) -> str:
    """The administration most named, the first named on a tie; "other" when none is."""
    hits = s.hits.get("topic", ())
    if not hits:
        return "other"
    weights: defaultdict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for hit in hits:
        topic = cast(str, hit.value)  # a topic cue always names its topic
        # a longer phrase is more specific: "médecin traitant" beats "partir à la retraite"
        weight = 1.0 + PHRASE_BONUS * (hit.end - hit.start - 1)
        weights[topic] += weight * (VAGUE_TOPIC_WEIGHT if topic == "other" else 1.0)
        first.setdefault(topic, hit.start)
    return max(weights, key=lambda t: (weights[t], -first[t]))


def service_of(s: Signals) -> str | None:
    """The first service named explicitly, else the first one hinted; learning wins over a PC."""
    services = [
        h.value
        for h in s.hits.get("service", ())
        if not (h.value == "internet" and _own(s.words, h.start))
    ] or [h.value for h in s.hits.get("weak_service", ()) if h.value and not _in_place(s, h)]
    if s.has("learn") or s.has("learn_weak") and not services:
        return "workshop"
    # "pas besoin d'imprimer, juste le wifi", "pas scanner, imprimer": the one not refused
    wanted = [
        h.value
        for h in s.hits.get("service", ())
        if not any(s.words[max(0, h.start - len(n)) : h.start] == n for n in NEGATED)
    ]
    if wanted and wanted[0] != services[0] and wanted[0] in services:
        return wanted[0]
    return services[0] if services else None


def _own(words: Sequence[str], start: int) -> bool:
    """ "mon ordi", "j'ai un ordi portable": their own device, so they want a connection."""
    before = words[max(0, start - 2) : start]
    return bool(before) and before[-1] in OWN or before in (["ai", "un"], ["have", "a"])


def _in_place(s: Signals, hit: Hit) -> bool:
    """A word after the head of a place's name: "point d'accès public à internet" is a PAPI."""
    return any(p.start < hit.start and hit.end <= p.end for p in s.hits.get("place", ()))


def open_now_of(s: Signals) -> bool:
    """Whether the person wants a place open now or later today."""
    return s.has("open_now")


def near_of(
    places: PlaceFinder,
    tokens: Sequence[Token],
    text: str,
    s: Signals,
    bare: bool,
    going: bool = False,
) -> Near | None:
    """The first specific place named, as written; a bare landmark ("la gare") only if alone.

    A place after a correction ("non pardon") replaces those before it; when `going` (a
    find_place message), home ("j'habite à X") gives way to another place named.
    """
    after: set[int] = set()
    for hit in s.hits.get("preposition", ()):
        end = hit.end
        while end < len(s.words) and s.words[end] in ARTICLES:
            end += 1  # "à la gare", "vers l'hôpital"
        after.update(range(hit.end, end + 1))
    hits = places.find(tokens, text, after, bare)
    if bare and not hits and 0 < len(tokens) <= 3:
        unknown = [t for t in tokens if places.is_unknown(t.word)]
        if len(unknown) == len(tokens):
            return Near(text[tokens[0].start : tokens[-1].end], None)
    fixed = [c.end for c in s.hits.get("correction", ())]
    if fixed:
        hits = [h for h in hits if h.start >= fixed[-1]] or hits
    works = [c.end for c in s.hits.get("works_at", ())]
    hits = [h for h in hits if not any(0 <= h.start - e <= WORK_GAP for e in works)] or hits
    if going:
        homes = [c.end for c in s.hits.get("lives_at", ())]
        hits = [h for h in hits if not any(0 <= h.start - e <= HOME_GAP for e in homes)] or hits
    specific = [h for h in hits if h.entry or not places.is_generic(tokens, h)]
    chosen = next(iter(specific or hits), None)
    if chosen is None:
        return None
    return Near(text[tokens[chosen.start].start : tokens[chosen.end - 1].end], chosen.entry)
