"""Loading content/langue/: the shipped files are clean, bad entries are reported at file:line."""

from __future__ import annotations

from pathlib import Path

from bot.content.language import load_language

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_language_loads_without_problems():
    language, problems = load_language(ROOT / "content")
    assert problems == []
    assert language.rewrites["jsui"] == "je suis"
    assert "stop" in language.cues and "caf" in language.topics


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "langue"
    folder.mkdir()
    (folder / "bad.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_unknown_concept_topic_and_intent_are_reported_with_their_line(tmp_path):
    text = "cues:\n  stop: [stop]\n  stopp: [x]\ntopics:\n  cafe: [x]\nexamples:\n  chat: [x]\n"
    _, problems = load_language(write(tmp_path, text))
    found = {(p.line, p.message) for p in problems if p.path.endswith("bad.yaml")}
    assert (3, "unknown concept 'stopp'") in found
    assert (5, "unknown topic 'cafe'") in found
    assert (7, "unknown intent 'chat'") in found


def test_bad_entries_are_reported(tmp_path):
    text = "rewrites:\n  jsui: je suis\n  jsui: jsuis\nnumbers:\n  deux: two\nsurprise: 1\n"
    _, problems = load_language(write(tmp_path, text))
    messages = {(p.line, p.message) for p in problems}
    assert (3, "duplicate rewrite 'jsui'") in messages
    assert (5, "expected a number") in messages
    assert (6, "unknown section 'surprise'") in messages


def test_broken_yaml_and_missing_folder(tmp_path):
    _, problems = load_language(write(tmp_path, "cues: [unclosed\n"))
    assert problems and problems[0].message.startswith("bad YAML")
    _, problems = load_language(tmp_path / "nowhere")
    assert problems[0].message.startswith("no language file")
