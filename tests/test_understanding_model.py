"""The statistical second opinion: features, packing, reproducible training, where it decides."""

from __future__ import annotations

import pytest

from bot.understanding import CLARIFY_BELOW, Pending, classifier, training
from bot.understanding.classifier import IntentModel, features
from tests.understanding_fixtures import ROOT, shipped_understander


def test_features_are_words_pairs_and_character_grams():
    found = features(["ou", "imprimer"])
    assert {"w:ou", "w:imprimer", "b:ou_imprimer", "<ou", "imp", "<imp", "er>"} <= set(found)


def test_packed_scores_equal_the_plain_sum(tmp_path):
    path = tmp_path / "m.json.gz"
    weights = {"w:a": [1.5, -2.0, 0.0, 0, 0, 0, 0.25], "w:b": [-0.5, 1.0, 3.0, 0, 0, 0, 0]}
    classifier.save(path, [f"c{k}" for k in range(7)], weights, [0.1] * 7)
    model = IntentModel.load(path)
    got = model.scores(["a", "b", "zzz"])
    expected = [1.1, -0.9, 3.1, 0.1, 0.1, 0.1, 0.35]
    assert got == pytest.approx(expected, abs=0.02)


def test_training_is_reproducible(tmp_path):
    understander = shipped_understander()
    language = understander_language()
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    for path in (first, second):
        training.build(
            ROOT / "tests" / "data", language, understander.words_for_model, path, ["dev.jsonl"]
        )
    assert first.read_bytes() == second.read_bytes()
    model = IntentModel.load(first)
    words = understander.words_for_model("ou imprimer un document")
    assert model.opinion(words).intent == "find_place"


def understander_language():
    from bot.content import load_content

    return load_content(ROOT / "content").language


def test_the_shipped_model_is_small_and_loads():
    assert classifier.MODEL_FILE.stat().st_size < 200_000
    assert shipped_understander().model is not None


@pytest.mark.parametrize(
    "text", ["je comprends rien a ce papier qu'on m'a envoyé", "besoin qu'on remplisse un truc"]
)
def test_the_model_decides_where_the_rules_are_unsure(text):
    understander = shipped_understander()
    rules = understander.understand(text, mode="rules")
    both = understander.understand(text)
    assert rules.confidence < CLARIFY_BELOW <= both.confidence
    assert both.intent == "find_mediator"


@pytest.mark.parametrize(
    "text", ["STOP", "arret cardiaque", "qsdfghjk", "mon voisin fait du bruit la nuit", "merci"]
)
def test_the_rules_keep_safety_and_unclear_stays_unclear(text):
    understander = shipped_understander()
    rules = understander.understand(text, mode="rules")
    both = understander.understand(text)
    assert (both.intent, both.emergency, both.privacy_action) == (
        rules.intent,
        rules.emergency,
        rules.privacy_action,
    )
    assert both.intent != "greeting" or both.social is not None


@pytest.mark.parametrize(
    ("text", "pending"),
    [("residence les jardins de kerfoobar", Pending("where")),
     ("residence les jardins de kerfoobar", Pending("yes_no")),
     ("j'habite à Kérédern", None)],
)  # fmt: skip
def test_answers_in_a_dialogue_are_left_to_the_dialogue(text, pending):
    understander = shipped_understander()
    rules = understander.understand(text, pending, mode="rules")
    assert understander.understand(text, pending).intent == rules.intent
