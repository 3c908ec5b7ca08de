"""`aiguillage serve`: bring the database to the last migration, then run one server
process, or WORKERS of them sharing the port (SO_REUSEPORT), each with its own event loop,
database pool and outbox worker.

The migration runs in a short child process (`aiguillage db upgrade`) and only when the
database is behind: alembic, about 10 MB, is never loaded by a server. What must happen
once across processes is guarded where it happens: the outbox claims its rows with FOR
UPDATE SKIP LOCKED, a turn locks its contact's row, the follow-ups and the purge take a
PostgreSQL advisory lock (`bot.store.db.alone`), and only worker 0 registers Telegram's
webhook or polls. Worker i > 0 keeps its spool in SPOOL_DIR/worker-i.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
from multiprocessing.connection import wait
from types import FrameType

from bot.config import Settings
from bot.logs import fields

log = logging.getLogger("aiguillage.server")


def serve(settings: Settings) -> int:
    """Migrate if needed, then serve until SIGTERM or SIGINT; the exit status."""
    if not migrated(settings):
        return 1
    if settings.workers == 1:
        _run(settings)
        return 0
    return _supervise(settings)


def migrated(settings: Settings) -> bool:
    """True once the database is at the last migration (migrated by a child if behind)."""
    from bot.store.db import HEAD, Database

    async def current() -> bool:
        database = Database(settings.database_url)
        try:
            return await database.revision() == HEAD
        finally:
            await database.close()

    if asyncio.run(current()):
        return True
    upgrade = [sys.executable, "-m", "bot", "db", "upgrade"]
    return subprocess.run(upgrade, check=False, stdout=subprocess.DEVNULL).returncode == 0


def for_worker(settings: Settings, index: int) -> Settings:
    """The settings of worker `index`: its number, and its own spool folder (a spool is
    replayed by the process that wrote it)."""
    spool = settings.spool_dir
    if index and spool is not None:
        spool = spool / f"worker-{index}"
    return dataclasses.replace(settings, worker=index, spool_dir=spool)


def _run(settings: Settings) -> None:
    from bot.gateway.connections import run
    from bot.gateway.server import create_app

    run(create_app(settings), settings)


def _worker(settings: Settings, index: int) -> None:
    """One server process, forked before the server's modules are loaded: each loads
    them itself and builds its own loop and pool. It stops on its own signal handlers
    (bot.gateway.connections), not the supervisor's it was forked with."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _run(for_worker(settings, index))


def _supervise(settings: Settings) -> int:
    """Start the workers; SIGTERM or SIGINT stops them all. When one stops by itself the
    others are stopped too and the status is 1: the service manager restarts the whole."""
    context = multiprocessing.get_context("fork")  # no thread runs yet; no resource tracker
    workers = [
        context.Process(target=_worker, args=(settings, n), name=f"aiguillage-{n}")
        for n in range(settings.workers)
    ]
    stopping = False

    def stop(_signal: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.pid is not None and worker.exitcode is None:
                os.kill(worker.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.start()
    log.info("workers.started", extra=fields(pids=[w.pid for w in workers]))
    wait([worker.sentinel for worker in workers])  # until a signal stops them, or one stops
    failed = not stopping
    if failed:
        gone = [(w.name, w.exitcode) for w in workers if w.exitcode is not None]
        log.error("workers.one_stopped", extra=fields(stopped=gone))
        stop()
    for worker in workers:
        worker.join()
    return 1 if failed or any(w.exitcode not in (0, -signal.SIGTERM) for w in workers) else 0
