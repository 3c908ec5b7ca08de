"""`aiguillage serve` as an operator starts it: what a server process loads, the migration
it needs, and WORKERS processes sharing one port on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout, TCPConnector
from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.store.db import HEAD, MIGRATIONS, Database, alone, head_revision
from tests.databases import BACKENDS, migrated_database, postgres_database
from tests.fake_twilio import FakeTwilio
from tests.faults.gateway import (
    GatewayProcess,
    outbox_settled,
    replies_per_resident,
    resident,
    send_sms,
)

# Runs `aiguillage serve` and, when it exits, writes the names of the modules it loaded.
WATCHED = """
import atexit, os, sys
modules = lambda: "\\n".join(sorted(sys.modules))
atexit.register(lambda: open(os.environ["MODULES_FILE"], "w").write(modules()))
from bot.__main__ import main
sys.exit(main(["serve"]))
"""
RESIDENTS = 40
STARTING = 120.0  # seconds: two processes load everything at once on a shared machine


def test_the_head_read_from_the_files_is_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert HEAD == head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_two_heads_are_refused(tmp_path: Path) -> None:
    for name, parent in (("a", "base0"), ("b", "base0")):
        (tmp_path / f"{name}.py").write_text(f'revision = "{name}"\ndown_revision = "{parent}"\n')
    with pytest.raises(RuntimeError, match="2 heads"):
        head_revision(tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_periodic_job_runs_in_one_session_at_a_time(tmp_path, backend) -> None:
    """Gateways sharing PostgreSQL: a second one skips a job the first is running (a
    follow-up would be posted twice otherwise), and may run it once the first committed."""
    async with migrated_database(backend, tmp_path) as database:
        async with database.session() as first:
            assert await alone(first, "remind")
            if backend == "postgresql":
                async with database.session() as second:
                    assert not await alone(second, "remind")
                    assert await alone(second, "purge")  # another job is not held
            await first.commit()
        async with database.session() as later:
            assert await alone(later, "remind")


@asynccontextmanager
async def database_url(backend: str, folder: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'serve.db'}"
    else:
        async with postgres_database() as url:
            yield url


async def revision(url: str) -> str | None:
    database = Database(url)
    try:
        return await database.revision()
    finally:
        await database.close()


def launch_watched(gateway: GatewayProcess) -> None:
    """Start the gateway's `serve` so that it writes the modules it loaded on exit."""
    with gateway.log.open("ab") as log:
        gateway.process = subprocess.Popen(
            [sys.executable, "-c", WATCHED],
            cwd=gateway.folder,
            env=gateway.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_sms_gateway_loads_neither_telegram_nor_alembic(tmp_path, backend) -> None:
    """A fresh database is migrated (by a child process), one already at head is not; in
    both runs the server answers an SMS without importing the Telegram library or alembic."""
    twilio = FakeTwilio()
    async with twilio.serving() as twilio_url, database_url(backend, tmp_path) as url:
        assert await revision(url) is None
        for run in range(2):
            gateway = GatewayProcess(tmp_path, url, twilio_url)
            modules = tmp_path / f"modules-{run}.txt"
            gateway.env["MODULES_FILE"] = str(modules)
            launch_watched(gateway)
            try:
                await gateway.healthy(seconds=STARTING)
                assert await revision(url) == HEAD
                async with ClientSession(timeout=ClientTimeout(total=20)) as session:
                    assert await send_sms(session, gateway.url, run) == 200
                await outbox_settled(url)
            finally:
                gateway.stop()
            assert gateway.process.returncode == 0, gateway.log.read_text()[-2000:]
            loaded = set(modules.read_text().split())
            assert {"bot.channels.sms", "bot.channels.telegram"} <= loaded
            assert "bot.channels.telegram_bot" not in loaded
            assert {m.split(".")[0] for m in loaded}.isdisjoint({"telegram", "alembic"})
    assert replies_per_resident(twilio.sent) == {resident(0): 1, resident(1): 1}


async def test_two_workers_share_the_port_and_answer_each_message_once(tmp_path) -> None:
    twilio = FakeTwilio()
    twilio.delay = 0.05
    async with twilio.serving() as twilio_url, postgres_database() as url:
        gateway = GatewayProcess(tmp_path, url, twilio_url)
        gateway.env["WORKERS"] = "2"
        try:
            gateway.launch()
            await gateway.healthy(seconds=STARTING)
            # A new connection per request: the kernel spreads connections, not requests.
            connector = TCPConnector(force_close=True)
            async with ClientSession(connector=connector, timeout=ClientTimeout(20)) as session:
                statuses = await asyncio.gather(
                    *(send_sms(session, gateway.url, n) for n in range(RESIDENTS))
                )
                assert set(statuses) == {200}
                await outbox_settled(url)
                await asyncio.sleep(1.0)  # both outbox workers polled again since
                answered_by = set()
                for _ in range(30):
                    async with session.get(gateway.url + "/healthz") as response:
                        answered_by.add((await response.json())["worker"])
        finally:
            gateway.stop()
        assert gateway.process.returncode == 0
    assert answered_by == {0, 1}
    assert replies_per_resident(twilio.sent) == {resident(n): 1 for n in range(RESIDENTS)}
    log = gateway.log.read_text()
    assert log.count('"event": "server.listening"') == 2
    assert log.count('"event": "server.stopped"') == 2


async def test_a_worker_that_dies_stops_the_others(tmp_path) -> None:
    """The service manager then restarts the whole (exit status 1)."""
    twilio = FakeTwilio()
    async with twilio.serving() as twilio_url, postgres_database() as url:
        gateway = GatewayProcess(tmp_path, url, twilio_url)
        gateway.env["WORKERS"] = "2"
        gateway.launch()
        try:
            await gateway.healthy(seconds=STARTING)
            started = next(
                json.loads(line)
                for line in gateway.log.read_text().splitlines()
                if '"event": "workers.started"' in line
            )
            assert len(started["pids"]) == 2
            os.kill(started["pids"][0], signal.SIGKILL)
            assert gateway.process.wait(timeout=30) == 1
        finally:
            gateway.stop()
    assert '"event": "workers.one_stopped"' in gateway.log.read_text()
