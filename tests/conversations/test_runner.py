"""`aiguillage eval-conversations`: the sets pass, bad files are refused with file:line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.conversations.cli import evaluate
from bot.conversations.script import ScriptError, load_conversations
from tests.harness import CONTENT_DIR, SECRET, gateway_settings

SETS = Path(__file__).resolve().parent.parent / "data" / "conversations"
# Measured floors (tests/data/conversations/README.md): a drop is a regression.
FLOORS = {
    "dev.jsonl": 0.95,
    "blind1.jsonl": 0.95,
    "blind2.jsonl": 0.90,
    "blind3.jsonl": 0.95,
    "blind4.jsonl": 0.95,
}


@pytest.mark.parametrize("name", sorted(FLOORS))
async def test_conversation_sets_pass(name: str, tmp_path: Path) -> None:
    settings = dataclasses.replace(
        gateway_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "", ""),
        secret_key=SECRET,
        content_dir=CONTENT_DIR,
    )
    report = await evaluate(settings, load_conversations(SETS / name))
    failed = [f"{c.id} turn {i}: {keys}" for c, i, keys, _ in report.failures]
    assert report.share >= FLOORS[name], "\n".join(failed)


TURN = '{"id": "a", "channel": "sms", "turns": [%s]}'
BAD_LINES = [
    ("not json", "not JSON"),
    ('{"id": "a", "channel": "fax", "turns": [{"say": "x"}]}', "`channel` must be one of"),
    (TURN % "", "`turns` must be a non-empty list"),
    (TURN % '{"say": 3}', "turn 1: `say` must be a string"),
    (TURN % '{"location": [1, 2]}', "for telegram"),
    (TURN % '{"say": "x", "expect": {"vibes": true}}', "unknown expectation 'vibes'"),
    (TURN % '{"say": "x", "expect": {"places_near": [91, 0]}}', "not a point on Earth"),
]


@pytest.mark.parametrize(("line", "problem"), BAD_LINES)
def test_a_malformed_file_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    good = json.dumps({"id": "ok", "channel": "sms", "turns": [{"say": "bonjour"}]})
    path = tmp_path / "set.jsonl"
    path.write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(ScriptError) as raised:
        load_conversations(path)
    assert raised.value.problems[0].startswith(f"{path}:2: ") and problem in str(raised.value)


def test_the_command_refuses_a_bad_file_with_exit_2_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "channel": "sms", "turns": [{"say": 1}]}\n', encoding="utf-8")
    monkeypatch.setenv("SECRET_KEY", SECRET)
    assert main(["eval-conversations", str(path)]) == 2
    output = capsys.readouterr()
    assert f"{path}:1: turn 1: `say` must be a string" in output.err
    assert "conversations passed" not in output.out


def test_the_command_prints_shares_and_failing_turns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    turns = [{"say": "bonjour", "expect": {"mentions_all": ["pamplemousse"]}}]
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": "c1", "channel": "sms", "turns": turns}) + "\n")
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("CONTENT_DIR", str(CONTENT_DIR))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    assert main(["eval-conversations", str(path), "--show-failures", "--min", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "conversations passed: 0/1 (0.0%)" in out and "failures by key: mentions_all 1" in out
    assert "c1 turn 1 (sms): mentions_all" in out and "bot> " in out
