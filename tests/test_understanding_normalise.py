"""Normalisation, SMS lexicon, spelling correction and the cue trie."""

from __future__ import annotations

import pytest

from bot.understanding.cues import CueIndex, compile_phrase
from bot.understanding.normalise import Normaliser, fold
from bot.understanding.spelling import Speller
from tests.understanding_fixtures import shipped_understander


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return shipped_understander().normaliser


def test_fold_removes_case_accents_ligatures_and_repeats():
    assert fold("ÉCOLE") == "ecole"
    assert fold("Œuvre") == "oeuvre"
    assert fold("merciiiii") == "merci"
    assert fold("STOOOOP") == "stop"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ou c le papi le + pres", "ou c est le papi le plus pres"),
        ("c'est quoi", "c est quoi"),
        ("koi", "quoi"),
        ("pk tu reponds pas", "pourquoi tu reponds pas"),
        ("stp", "svp"),
        ("jsui a bellevue", "je suis a bellevue"),
        ("ya un papi", "il y a un papi"),
        ("ouvert ajd", "ouvert aujourdhui"),
        ("ouvert aujourd'hui", "ouvert aujourdhui"),
        ("qd", "quand"),
        ("internet a 1€", "internet a 1 euro"),
        ("1euro", "1 euro"),
        ("g un pb", "j ai un probleme"),
        ("qq1 peut maider", "quelqu un peut m aider"),
        ("wi-fi", "wifi"),
        ("St-Marc", "saint marc"),
    ],
)
def test_sms_lexicon(normaliser, text, words):
    assert " ".join(normaliser.words(text)) == words


def test_tokens_keep_the_span_written():
    text = "près de Saint-Pierre"
    tokens = Normaliser({}).tokens(text)
    assert [text[t.start : t.end] for t in tokens] == ["près", "de", "Saint", "Pierre"]
    assert [t.word for t in tokens] == ["pres", "de", "saint", "pierre"]


def test_speller_corrects_close_words_only():
    speller = Speller(["imprimer", "pontanezen", "bellevue", "caf"], prefixes=["scann"])
    assert speller.correct("imprimmer") == "imprimer"
    assert speller.correct("pontanzen") == "pontanezen"
    assert speller.correct("belevue") == "bellevue"
    assert speller.correct("scanning") == "scanning"  # known through a prefix cue
    assert speller.correct("cfa") == "cfa"  # too short to guess
    assert speller.correct("voiture") == "voiture"


def test_typos_reach_the_right_cue():
    result = shipped_understander().understand("ou je peu imprimmer un documant")
    assert (result.intent, result.service) == ("find_place", "print")


def test_cue_trie_matches_phrases_and_prefixes(normaliser):
    phrases = [("print", None, "imprim*"), ("stop", None, "ne plus recevoir")]
    index = CueIndex((c, v, compile_phrase(p, normaliser)) for c, v, p in phrases)
    hits = index.find(normaliser.words("je veux ne plus recevoir ni imprimante"))
    assert [(h.concept, h.start, h.end) for h in hits] == [("stop", 2, 5), ("print", 6, 7)]
