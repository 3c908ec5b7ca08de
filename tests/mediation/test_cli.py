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


def test_mediator_list_passwd_and_remove_end_sessions(monkeypatch, capsys, tmp_path):
    import asyncio
    from datetime import UTC, datetime, timedelta

    from bot.mediation.store import MediationRepository
    from bot.store.db import Database
    from tests.conftest import AddressCipher

    secret = "a long enough secret\n"
    for name in ("Anne", "Bob"):
        args = ("mediator", "add", name, "--topics", "caf", "--password-stdin")
        assert run(monkeypatch, capsys, tmp_path, *args, stdin=secret)[0] == 0

    async def open_sessions(name: str, count: int) -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
        try:
            async with database.session() as session:
                repo = MediationRepository(session, AddressCipher(SECRET))
                mediator = await repo.mediator_named(name)
                expires = datetime.now(UTC) + timedelta(hours=1)
                for n in range(count):
                    await repo.add_session(mediator, f"{name}{n}".ljust(64, "0"), "c", expires)
                await session.commit()
        finally:
            await database.close()

    asyncio.run(open_sessions("Anne", 2))
    asyncio.run(open_sessions("Bob", 1))
    code, out = run(monkeypatch, capsys, tmp_path, "mediator", "list")
    assert code == 0 and "Anne\t@-\tthèmes: caf" in out and "sessions: 2" in out
    passwd = ("mediator", "passwd", "Anne", "--password-stdin")
    code, out = run(monkeypatch, capsys, tmp_path, *passwd, stdin="another long secret\n")
    assert code == 0 and "2 session(s) fermée(s)" in out
    code, out = run(monkeypatch, capsys, tmp_path, "mediator", "remove", "Bob")
    assert code == 0 and "1 session(s) fermée(s)" in out
    code, out = run(monkeypatch, capsys, tmp_path, "mediator", "list")
    assert "Bob" not in out and "Anne" in out and "sessions: 0" in out
    assert run(monkeypatch, capsys, tmp_path, "mediator", "remove", "Bob")[0] == 1
