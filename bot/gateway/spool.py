"""The intake spool: webhooks kept on disk while the database is unreachable (courier's
spool, in spirit). Each message is one file, encrypted with the address key, written to a
temporary name, fsynced and renamed, so a crash leaves it whole or absent. While any file
waits, new messages are spooled behind it, and the replay stores them in arrival order;
the database's unique platform id still drops a platform's retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, fields
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

from bot.crypto import AddressCipher
from bot.logs import fields as log_fields
from bot.messages import Address, InboundMessage, Location

log = logging.getLogger("aiguillage.spool")

REPLAY_SECONDS = 1.0  # how often a waiting spool tries the database again
Store = Callable[[str, dict[str, Any]], Awaitable[None]]


class Spool:
    """Messages waiting on disk, oldest first."""

    def __init__(self, folder: Path, cipher: AddressCipher) -> None:
        self.folder = folder
        self.cipher = cipher
        self._lock = asyncio.Lock()
        self._sequence = count()
        self._waiting = len(self.entries())  # files left by a previous run count too

    @property
    def waiting(self) -> int:
        """How many messages wait to be stored."""
        return self._waiting

    def entries(self) -> list[Path]:
        """The waiting files, in arrival order (their names sort that way)."""
        return sorted(self.folder.glob("*.msg")) if self.folder.is_dir() else []

    async def put(self, kind: str, data: dict[str, Any]) -> None:
        """Write one message durably; it is on disk when this returns."""
        async with self._lock:  # names and order are given under the lock
            name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._sequence):06d}.msg"
            token = self.cipher.encrypt(json.dumps({"kind": kind, "data": data}))
            await asyncio.to_thread(_write_durably, self.folder, name, token.encode())
            self._waiting += 1

    def read(self, path: Path) -> tuple[str, dict[str, Any]]:
        entry = json.loads(self.cipher.decrypt(path.read_text()))
        return entry["kind"], entry["data"]

    def remove(self, path: Path, dead: bool = False) -> None:
        """Forget a stored message; a message the database refuses is set aside, not lost."""
        if dead:
            (self.folder / "dead").mkdir(exist_ok=True)
            path.rename(self.folder / "dead" / path.name)
        else:
            path.unlink(missing_ok=True)
        self._waiting = max(0, self._waiting - 1)

    async def replay(self, store: Store, is_outage: Callable[[BaseException], bool]) -> int:
        """Store the waiting messages in order, until the first outage; returns how many
        were stored. A message refused for itself (not an outage) goes to `dead/`."""
        done = 0
        for path in self.entries():
            kind, data = self.read(path)
            try:
                await store(kind, data)
            except Exception as error:
                if is_outage(error):
                    return done
                log.error(
                    "spool.refused", extra=log_fields(file=path.name, error=type(error).__name__)
                )
                self.remove(path, dead=True)
                continue
            self.remove(path)
            done += 1
        if done:
            log.info("spool.replayed", extra=log_fields(messages=done))
        return done


def _write_durably(folder: Path, name: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, folder / name)
    directory = os.open(folder, os.O_RDONLY)
    try:  # the rename itself must reach the disk
        os.fsync(directory)
    finally:
        os.close(directory)


def inbound_to_dict(inbound: InboundMessage) -> dict[str, Any]:
    data = asdict(inbound)
    data["received_at"] = inbound.received_at.isoformat()
    return data


def inbound_from_dict(data: dict[str, Any]) -> InboundMessage:
    """The message `inbound_to_dict` wrote (lists back to tuples, nested types rebuilt)."""
    values: dict[str, Any] = {  # JSON: each value is checked by the dataclass it rebuilds
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
    }
    values["address"] = Address(**data["address"])
    values["received_at"] = datetime.fromisoformat(data["received_at"])
    location = data.get("location")
    values["location"] = Location(**location) if location else None
    known = {f.name for f in fields(InboundMessage)}
    return InboundMessage(**{k: v for k, v in values.items() if k in known})
