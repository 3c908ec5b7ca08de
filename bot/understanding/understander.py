"""The understanding step: intent, slots and confidence of one message, from content data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.content.language import Language
from bot.content.model import GazetteerEntry
from bot.understanding import context
from bot.understanding.classifier import MODEL_FILE, IntentModel
from bot.understanding.cues import CueIndex, Hit, Pattern, compile_phrase
from bot.understanding.examples import ExampleIndex
from bot.understanding.intents import Decision, Signals, another_calls_back, decide
from bot.understanding.languages import language_of
from bot.understanding.model import CLARIFY_BELOW, Near, Pending, Understood
from bot.understanding.normalise import Normaliser, Token
from bot.understanding.places import PlaceFinder
from bot.understanding.slots import near_of, open_now_of, service_of, topic_of
from bot.understanding.social import social_of
from bot.understanding.spelling import Speller

if TYPE_CHECKING:
    from bot.content import Content

PLACE_CONCEPTS = (
    "preposition", "generic_place", "street", "not_a_place", "lives_at", "correction",
    "works_at",
)  # fmt: skip
# look-alikes and scam senders name no intent: their words may still be part of a place name
NOT_INTENT = (
    "not_emergency", "scam_sender", "scam_spam", "fall", "unresponsive", "child_person",
    "child_harm",
)  # fmt: skip
NEAR_INTENTS = frozenset({"find_place", "housing_internet", "find_mediator"})
SHOUTED_STOP = frozenset({"STOP", "ARRET", "ARRÊT", "STOPP", "UNSUBSCRIBE"})
NOT_A_LEARN = frozenset({"en", "au", "le"})  # "dossier en cours" is not a course
DROPPED_LINKS = frozenset({"de", "d", "du", "des", "l", "la", "le", "les"})  # often left out


def telegraphic(pattern: Pattern) -> set[Pattern]:
    """A phrase and its SMS form without inner "de", "le": "demande logement", "carte identite"."""
    inner = tuple(w for w in pattern[1:-1] if w not in DROPPED_LINKS)
    short = (pattern[0], *inner, pattern[-1]) if len(pattern) > 2 else pattern
    return {pattern, short}


MODES = ("rules", "model", "both")
CERTAIN = 0.7  # rules this sure keep the last word (and always STOP, distress, scams, menus)
ACCEPT = 0.7  # the model's probability needed to overrule rules that are not sure
MIN_KNOWN = 3  # words or word pairs of the message the model must have seen
REQUESTS = frozenset({"find_place", "housing_internet", "find_mediator", "talk_to_human"})


@cache
def shipped_model() -> IntentModel | None:
    """The model file shipped beside the code (one copy per process), or None without one."""
    return IntentModel.load() if MODEL_FILE.exists() else None


class Understander:
    """Reads residents' messages; all indexes are built once, at construction."""

    def __init__(
        self,
        gazetteer: Sequence[GazetteerEntry],
        language: Language,
        model: IntentModel | None | bool = True,
    ) -> None:
        self.model = shipped_model() if model is True else model or None
        self.normaliser = Normaliser(language.rewrites)
        compile_ = self._compile
        cues: list[tuple[str, str | None, Pattern]] = [
            (c, None, compile_(p)) for c, ps in language.cues.items() for p in ps
        ]
        named = (
            ("topic", language.topics),
            ("service", language.services),
            ("weak_service", language.weak_services),
            ("emergency", language.emergencies),
        )
        cues += [
            (concept, value, pattern)
            for concept, phrases in named
            for value, ps in phrases.items()
            for p in ps
            for pattern in telegraphic(compile_(p))
        ]
        self.cues = CueIndex(cues)
        intent_cues = CueIndex(c for c in cues if c[0] not in PLACE_CONCEPTS + NOT_INTENT)
        place_words = {
            c: {w for p in language.cues.get(c, ()) for w in compile_(p)} for c in PLACE_CONCEPTS
        }
        common = frozenset(self.normaliser.words(" ".join(language.common_words)))
        self.places = PlaceFinder(
            gazetteer,
            self.normaliser,
            common_words=common,
            streets=frozenset(place_words["street"]),
            generic=frozenset(compile_(p)[0] for p in language.cues.get("generic_place", ())),
            not_a_place=frozenset(compile_(p) for p in language.cues.get("not_a_place", ())),
            cue_words=frozenset(intent_cues.words() - place_words["generic_place"]),
        )
        self.numbers = {self.normaliser.words(k)[0]: v for k, v in language.numbers.items()}
        self.examples = ExampleIndex(
            ((i, self.normaliser.words(p)) for i, ps in language.examples.items() for p in ps),
            common,
        )
        self.speller = Speller(
            common | self.cues.words() | self.places.vocabulary() | set(self.numbers),
            self.cues.prefixes(),
        )

    def _compile(self, phrase: str) -> tuple[str, ...]:
        return compile_phrase(phrase, self.normaliser)

    @classmethod
    def from_content(cls, content: Content) -> Understander:
        """Build from a loaded content base (its `gazetteer` and `language`)."""
        return cls(content.gazetteer, content.language)

    def signals(self, text: str) -> tuple[list[Token], Signals]:
        """The message's tokens (spelling corrected) and the cues found in them."""
        words_of = self.speller.words_of
        tokens = [
            t if (t.word,) == known else Token(w, t.start, t.end)
            for t in self.normaliser.tokens(text)
            for known in (words_of(t.word),)
            for w in known
        ]
        words = [t.word for t in tokens]
        hits: dict[str, list[Hit]] = defaultdict(list)
        for hit in self.cues.find(words):
            if words[hit.start] == "cours" and hit.start and words[hit.start - 1] in NOT_A_LEARN:
                continue
            hits[hit.concept].append(hit)
        shouted = any(text[t.start : t.end] in SHOUTED_STOP for t in tokens)
        return tokens, Signals(words, dict(hits), "?" in text, shouted)

    def words_for_model(self, text: str) -> list[str]:
        """The words the statistical model reads: normalised and spelling-corrected."""
        return list(self.signals(text)[1].words)

    def understand(
        self, text: str, pending: Pending | None = None, mode: str = "both"
    ) -> Understood:
        """Intent, slots and confidence of `text`, reading it as an answer to `pending`.

        `mode` is "both" (rules, and the model where they are not sure), "rules" or "model"
        (the model's intent alone, for comparisons).
        """
        tokens, signals = self.signals(text)
        decision = decide(signals)
        if mode == "model" and self.model:
            opinion = self.model.opinion(signals.words)
            decision = Decision(opinion.intent, round(opinion.probability, 2))
        elif mode == "both" and self.model and not _certain(decision) and _open(signals, pending):
            opinion = self.model.opinion(signals.words)
            # the model only names a request: hello, STOP and "unclear" need the rules' words
            sure = opinion.probability >= ACCEPT and opinion.words_known >= MIN_KNOWN
            # "il doit rappeler" is another's call back: the model may not make it a request
            callback = opinion.intent == "talk_to_human" and another_calls_back(signals)
            if sure and opinion.intent in REQUESTS and not callback:
                decision = Decision(opinion.intent, round(min(CERTAIN, opinion.probability), 2))
        if decision.confidence <= 0.3:
            decision = self._nearest_example(signals) or decision
        intent = decision.intent
        near = None
        if intent in NEAR_INTENTS or pending and (pending.kind == "where" or pending.place):
            bare = pending is not None and pending.kind == "where"
            near = near_of(self.places, tokens, text, signals, bare, intent == "find_place")
        # while places are on screen, "et pour scanner ?", "c ouvert la ?" follow them up
        places_open = pending is not None and pending.place
        understood = Understood(
            intent=intent,
            topic=topic_of(signals) if intent == "find_mediator" else None,
            near=near,
            service=service_of(signals) if intent == "find_place" or places_open else None,
            open_now=(intent == "find_place" or places_open) and open_now_of(signals),
            confidence=decision.confidence,
            emergency=decision.emergency,
            scam=decision.scam,
            social=social_of(signals) if intent == "greeting" else None,
            privacy_action=decision.privacy_action,
            language=language_of(text),
            place=self._place(near, tokens, text, signals),
            file_status=intent == "find_mediator" and signals.has("file_status"),
        )
        if pending is None or intent == "privacy" or decision.emergency:
            return understood
        return self._in_context(understood, signals, pending)

    def _place(
        self, near: Near | None, tokens: list[Token], text: str, signals: Signals
    ) -> Near | None:
        """A gazetteer place named whatever the intent ("bonjour, j'habite à Pontanézen")."""
        if near is not None:
            return near if near.entry else None
        found = near_of(self.places, tokens, text, signals, False)
        return found if found is not None and found.entry else None

    def _nearest_example(self, signals: Signals) -> Decision | None:
        nearest = self.examples.nearest(signals.words)
        if nearest is None:
            return None
        intent, similarity = nearest
        if intent == "greeting":  # an unknown message is unclear, never a greeting
            return None
        return Decision(intent, round(min(CLARIFY_BELOW - 0.05, similarity * 0.6), 2))

    def _in_context(self, understood: Understood, signals: Signals, pending: Pending) -> Understood:
        """Fill what a short answer to the pending question means."""
        changes: dict[str, Any] = {}
        if pending.kind == "menu":
            choice = context.menu_choice(signals.words, self.numbers, pending.options)
            if choice is not None:
                changes = {"menu_choice": choice, "confidence": 1.0}
        elif pending.kind == "yes_no":
            answer = context.yes_no(signals.words, signals.hits)
            if answer is not None:
                changes = {"answer": answer, "confidence": max(understood.confidence, 0.9)}
        elif pending.kind == "where" and understood.near is not None:
            sure = 0.9 if understood.near.entry else 0.7
            changes = {"confidence": max(understood.confidence, sure)}
        return replace(understood, **changes) if changes else understood


def _open(signals: Signals, pending: Pending | None) -> bool:
    """Whether a message stands on its own: an answer to the bot's question ("résidence les
    jardins", "j'habite à Kérédern") is read by the dialogue, not by the model."""
    return pending is None and not signals.has("lives_at")


def _certain(decision: Decision) -> bool:
    """Where the rules keep the last word: safety, privacy, and their confident decisions."""
    safety = decision.emergency or decision.scam or decision.intent == "privacy"
    return bool(safety) or decision.confidence >= CERTAIN
