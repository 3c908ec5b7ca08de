"""The command line as an operator uses it: serve, chat, db upgrade, bad settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.harness import CONTENT_DIR, SECRET

ROOT = Path(__file__).resolve().parent.parent


def run_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_"))}
    env.update(
        SECRET_KEY=SECRET,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        CONTENT_DIR=str(CONTENT_DIR),
    )
    env.update(extra)
    return env


def aiguillage(
    *args: str, env: dict[str, str], stdin: str = "", cwd: Path
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "nonsense", "DATABASE_URL='nonsense' is not supported"),
        ("PORT", "http", "PORT='http' is not a whole number"),
        ("SECRET_KEY", "", "SECRET_KEY is not set"),
    ],
)
def test_bad_setting_prints_one_line_and_fails(tmp_path, variable, value, expected):
    result = aiguillage("serve", env=run_env(tmp_path, **{variable: value}), cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.stderr


def test_chat_answers_bonjour_with_the_menu_and_keeps_history(tmp_path):
    env = run_env(tmp_path)
    first = aiguillage("chat", "--user", "amina", env=env, stdin="bonjour\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "1. " in first.stdout and "4. " in first.stdout
    second = aiguillage("chat", "--user", "amina", env=env, stdin="2\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("bot>") >= 1 and "1. " not in second.stdout.split("bot>")[1][:3]


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = run_env(tmp_path, PORT=str(port), HOST="127.0.0.1")
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = _wait_for_health(port)
        assert '"status": "ok"' in body and '"database": true' in body
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"http://127.0.0.1:{port}/healthz" in out
    assert "channel.off" in err and "server.stopped" in err


def test_db_upgrade_is_idempotent(tmp_path):
    env = run_env(tmp_path)
    for _ in range(2):
        result = aiguillage("db", "upgrade", env=env, cwd=tmp_path)
        assert result.returncode == 0 and "up to date" in result.stdout


def _wait_for_health(port: int) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                assert response.status == 200
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
