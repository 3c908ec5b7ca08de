"""A PostgreSQL server of our own (initdb into a temporary folder, another port), so fault
tests may stop and kill it without disturbing the machine's shared server on 5432."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found[-1]


class OwnPostgres:
    """initdb, pg_ctl start/stop/restart on a free port; dropped with its folder."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="aig-pg-"))
        self.data, self.port = self.root / "data", free_port()
        self._as = [] if os.geteuid() else ["runuser", "-u", "postgres", "--"]
        if not os.geteuid():  # PostgreSQL refuses to run as root: its folder is postgres's
            shutil.chown(self.root, pwd.getpwnam("postgres").pw_uid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as, _binary(tool), *args], check=True, capture_output=True, timeout=60
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `immediate` is a crash (recovery runs at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    async def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"aig_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A running server of our own for the duration of the block."""
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()
