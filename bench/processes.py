"""The servers the gateway bench starts, the tree they run from, and their CPU accounting.

A server is a child process on a free loopback port, ready once it answers /healthz on a
socket it owns. Its CPU time is what the kernel charged it (utime + stime of
/proc/PID/stat), its children's included, so the cost of a message is read from the
server's own accounting, not from the loaded machine's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientSession

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LOGS = Path(tempfile.gettempdir()) / "aiguillage-bench"  # each server's output, kept
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Tree:
    """A checkout whose gateway is measured: its python, its code first on the path."""

    path: Path
    python: str
    content: Path

    @classmethod
    def at(cls, path: Path, content: Path | None = None) -> Tree:
        """The checkout at `path`, with its own .venv when it has one (else this python), and
        its content unless another folder is given."""
        own = path / ".venv" / "bin" / "python"
        python = str(own) if own.exists() else sys.executable
        return cls(path.resolve(), python, content or path.resolve() / "content")

    def env(self, **more: str) -> dict[str, str]:
        """A clean environment with this tree's code first on the path."""
        return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(self.path)} | more

    def label(self) -> str:
        """The tree and its commit (with "+changes" when its files differ from it)."""
        git = ["git", "-C", str(self.path)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True
        )
        name = commit.stdout.decode().strip() or "no git"
        return f"{self.path} ({name}{' +changes' if dirty.stdout.strip() else ''})"

    def expected_bodies(self, texts: list[str]) -> tuple[str, dict[str, int]]:
        """Where this tree's `bot` imports from, and the bodies its engine gives each text."""
        command = [self.python, "-P", str(BENCH / "expected.py"), str(self.content)]
        result = subprocess.run(
            command, input=json.dumps(texts).encode(), env=self.env(), capture_output=True
        )
        if result.returncode:
            raise RuntimeError(f"{command} failed:\n{result.stderr.decode()[-3000:]}")
        found = json.loads(result.stdout.decode().strip().splitlines()[-1])
        return found["code"], found["bodies"]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listens(pid: int, port: int) -> bool:
    """Whether process `pid` or one of its children owns the listening socket on `port`."""
    listening = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state, inode = row.split()[1], row.split()[3], row.split()[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            listening.add(f"socket:[{inode}]")
    sockets = set()
    for owner in (pid, *descendants(pid)):
        with contextlib.suppress(OSError):  # a process or descriptor gone while we look
            for fd in Path(f"/proc/{owner}/fd").iterdir():
                with contextlib.suppress(OSError):
                    sockets.add(os.readlink(fd))
    return bool(sockets & listening)


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (field 3, the state, first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    """The live children of `pid`, their children, and so on."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parents.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its live descendants, in seconds."""
    ticks = 0
    for each in (pid, *descendants(pid)):
        with contextlib.suppress(OSError):  # gone meanwhile
            fields = _stat(each)
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / TICKS


@asynccontextmanager
async def process(
    name: str, command: list[str], env: dict[str, str], port: int
) -> AsyncIterator[Server]:
    """Run a server process until it answers /healthz; stop it afterwards (its log is kept)."""
    LOGS.mkdir(exist_ok=True)
    log_path = LOGS / f"{name}-{port}.log"
    with tempfile.TemporaryDirectory() as folder, log_path.open("w+b") as log:
        # The working directory is empty: no .env of a checkout leaks into the settings.
        child = await asyncio.create_subprocess_exec(
            *command, cwd=folder, env=env, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with ClientSession() as session:
                for _ in range(1200):
                    if child.returncode is not None:
                        log.seek(0)
                        raise RuntimeError(f"{command} exited:\n{log.read().decode()[-3000:]}")
                    try:
                        async with session.get(f"{url}/healthz") as response:
                            if response.status == 200 and listens(child.pid, port):
                                break
                    except OSError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError(f"{command} did not answer /healthz in 120 s")
            yield Server(url, child.pid, log_path)
        finally:
            child.terminate()
            await child.wait()


def bare() -> AsyncIterator[Server]:
    """The ceiling: an aiohttp process that reads the form and returns empty TwiML."""
    port = free_port()
    env = Tree.at(ROOT).env()
    return process("bare", [sys.executable, "-P", str(BENCH / "bare.py"), str(port)], env, port)
