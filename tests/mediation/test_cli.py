"""`aiguillage mediator add`, `stats` and `content suggestions` on a real database."""

from __future__ import annotations

import io

from bot.__main__ import main
from tests.harness import SECRET


def run(monkeypatch, capsys, tmp_path, *argv: str, stdin: str = "") -> tuple[int, str]:
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_mediator_add_stats_and_suggestions(monkeypatch, capsys, tmp_path):
    args = ("mediator", "add", "Anne", "--topics", "caf", "--password-stdin")
    assert run(monkeypatch, capsys, tmp_path, *args, stdin="short\n")[0] == 1
    code, out = run(monkeypatch, capsys, tmp_path, *args, stdin="a long enough secret\n")
    assert code == 0 and "Anne" in out
    assert run(monkeypatch, capsys, tmp_path, *args, stdin="a long enough secret\n")[0] == 1
    code, out = run(monkeypatch, capsys, tmp_path, "stats")
    assert code == 0 and "Questions répondues par le bot: — (0 sur 0)" in out
    code, out = run(monkeypatch, capsys, tmp_path, "content", "suggestions")
    assert code == 0 and "0 suggestion(s)" in out
