"""Scoring rules, regression floors on the labelled sets, and the command line."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from bot.understanding import cli
from bot.understanding.evaluation import near_matches, score
from tests.understanding_fixtures import ROOT, shipped_understander

DATA = Path(__file__).parent / "data"
# Floors at the figures measured on each file (issue 13, with the model): a change that loses
# one message anywhere fails here. Figures not listed are 1.000.
MEASURED = {
    "heldout3.jsonl": {"near": 0.99, "fully_correct": 0.993},
    "heldout6.jsonl": {"near": 0.99, "fully_correct": 0.993},
    "heldout7.jsonl": {"intent": 0.986, "near": 0.971, "fully_correct": 0.966, "macro_f1": 0.989},
}
FIGURES = ("intent", "topic", "near", "service", "open_now", "fully_correct", "macro_f1")


@pytest.mark.parametrize(
    ("predicted", "gold", "same"),
    [
        ("Capucins", "médiathèque des Capucins", True),
        ("les Capucins", "médiathèque des Capucins", True),
        ("médiathèque des Capucins", "Capucins", True),
        ("à Bellevue", "bellevue", True),
        ("Saint-Pierre", "saint pierre", True),
        ("gare", "gare de brest", False),
        ("rue", "rue de Siam", False),
        ("Bellevue", "Kerinou", False),
        (None, None, True),
        ("Bellevue", None, False),
    ],
)
def test_near_comparison_rule(predicted, gold, same):
    assert near_matches(predicted, gold) is same


def test_slots_scored_only_when_the_intent_is_right():
    gold = {"intent": "find_place", "topic": None, "near": "Bellevue", "service": "print",
            "open_now": False, "text": "t"}  # fmt: skip
    wrong_intent = {**gold, "intent": "greeting", "service": None}
    scores = score([(gold, gold), (wrong_intent, gold)])
    assert scores.rate("intent") == 0.5
    assert scores.slot_seen["service"] == 1 and scores.rate("service") == 1.0
    assert scores.rate("fully_correct") == 0.5


LABELLED = [
    "dev.jsonl",
    "extra.jsonl",
    "heldout.jsonl",
    "heldout2.jsonl",
    "heldout3.jsonl",
    "heldout4.jsonl",
    "heldout5.jsonl",
    "heldout6.jsonl",
    "heldout7.jsonl",
]


def labelled(name: str) -> list[dict]:
    """The cases of one labelled file of tests/data."""
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines()]


@pytest.mark.parametrize("name", LABELLED)
def test_scores_stay_above_floors(name):
    cases = labelled(name)
    understander = shipped_understander()
    scores = score((cli.predict(understander, case["text"]), case) for case in cases)
    for figure in FIGURES:
        floor = MEASURED.get(name, {}).get(figure, 1.0)
        got = scores.macro_f1() if figure == "macro_f1" else scores.rate(figure)
        assert got >= floor - 1e-9, (figure, cli.report(scores))


@pytest.mark.parametrize("name", LABELLED)
def test_every_stop_is_honoured(name):
    understander = shipped_understander()
    for case in labelled(name):
        if case["intent"] == "privacy":
            assert understander.understand(case["text"]).intent == "privacy", case["text"]


@pytest.mark.parametrize(
    "name",
    [
        "heldout.jsonl",
        "heldout2.jsonl",
        "heldout3.jsonl",
        "heldout4.jsonl",
        "heldout5.jsonl",
        "heldout6.jsonl",
        "heldout7.jsonl",
    ],
)
def test_emergencies_flagged_and_only_them(name):
    understander = shipped_understander()
    for case in labelled(name):
        emergency = understander.understand(case["text"]).emergency
        assert bool(emergency) is case.get("emergency", False), case["text"]


def test_understand_command_reads_lines_and_jsonl(monkeypatch, capsys):
    monkeypatch.setenv("CONTENT_DIR", str(ROOT / "content"))
    monkeypatch.setattr("sys.stdin", io.StringIO('ou imprimer a bellevue\n{"text": "STOP"}\n\n'))
    assert cli.run_understand(argparse.Namespace()) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["intent"] for r in rows] == ["find_place", "privacy"]
    assert rows[0]["near"] == "bellevue" and rows[0]["service"] == "print"
    assert set(rows[0]) == {"text", "intent", "topic", "near", "service", "open_now", "confidence",
                            "emergency", "scam", "social", "language"}  # fmt: skip


def test_eval_command_prints_figures_matrix_and_errors(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CONTENT_DIR", str(ROOT / "content"))
    labelled = tmp_path / "cases.jsonl"
    labelled.write_text(
        json.dumps({"id": "a", "text": "bonjour", "intent": "greeting", "topic": None,
                    "near": None, "service": None, "open_now": False}) + "\n"
        + json.dumps({"id": "b", "text": "STOP", "intent": "greeting", "topic": None,
                      "near": None, "service": None, "open_now": False}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    assert cli.run_eval(argparse.Namespace(files=[labelled])) == 0
    out = capsys.readouterr().out
    assert "intent accuracy 0.500" in out and "confusion" in out
    assert "b: intent: 'greeting' -> 'privacy' | STOP" in out
    assert "rules intent" in out and "model intent" in out and "both intent" in out


def test_eval_command_fails_on_a_missing_file(tmp_path):
    assert cli.run_eval(argparse.Namespace(files=[tmp_path / "missing.jsonl"])) == 1


def test_commands_are_registered():
    parser = argparse.ArgumentParser()
    cli.add_understanding_commands(parser.add_subparsers())
    assert parser.parse_args(["eval", "x.jsonl"]).func is cli.run_eval
    assert parser.parse_args(["eval"]).files == []
    assert parser.parse_args(["understanding", "train"]).func is cli.run_train
    assert parser.parse_args(["understand"]).func is cli.run_understand
