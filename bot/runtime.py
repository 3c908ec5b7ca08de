"""Assembles the running gateway: database, content, engine, outbox worker, background turns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.channels import Sender
from bot.config import Settings
from bot.content import ContentError, load_content
from bot.crypto import AddressCipher, cipher_for
from bot.db import Database
from bot.engine import Accepted, Engine, utcnow
from bot.logs import fields
from bot.metrics import DUPLICATES, MESSAGES_IN
from bot.outbox import OutboxWorker

log = logging.getLogger("aiguillage")

TURN_SLOTS = 1  # turns answered at once by one process: see bench/README.md


@dataclass
class Runtime:
    """Everything a channel needs to hand messages to the engine."""

    settings: Settings
    database: Database
    cipher: AddressCipher
    engine: Engine
    worker: OutboxWorker
    tasks: set[asyncio.Task] = field(default_factory=set)
    # Turns are CPU-bound: a few at a time keep webhooks (store, then 200) from queueing
    # behind hundreds of turns on the event loop; the others wait their turn, stored.
    turn_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(TURN_SLOTS))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run work in the background, tracked so a shutdown can wait for it."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception():
            log.error("task.failed", exc_info=task.exception())

    async def receive(self, inbound) -> bool:  # noqa: ANN001 - bot.messages.InboundMessage
        """Store an inbound message (the platform may be acknowledged after this returns)
        and answer it in the background. False when it was a duplicate."""
        accepted = await self.engine.accept(inbound)
        if accepted is None:
            DUPLICATES.labels(inbound.address.channel).inc()
            return False
        MESSAGES_IN.labels(inbound.address.channel).inc()
        self.spawn(self._answer(accepted))
        return True

    async def _answer(self, accepted: Accepted) -> None:
        async with self.turn_slots:
            await self.engine.process(accepted)
        self.worker.wake()

    def reload_content(self) -> list[str]:
        """Validate the content directory, then switch to it; on error keep the old one."""
        try:
            content = load_content(self.settings.content_dir)
        except ContentError as error:
            problems = [str(p) for p in error.problems]
            log.error("content.reload_refused", extra=fields(problems=problems[:20]))
            return problems
        self.engine.use(content)
        log.info("content.reloaded")
        return []

    async def drain(self, grace: float = 10.0) -> None:
        """Wait for in-flight turns; replies they queued stay in the outbox if unsent."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=grace)


async def start_runtime(
    settings: Settings,
    senders: dict[str, Sender],
    clock: Callable[[], datetime] = utcnow,
    notifier: Any = None,
    content: Any = None,
) -> Runtime:
    """Migrate the database and load the content (unless given, already validated);
    raises ContentError on invalid content."""
    database = Database(settings.database_url)
    await database.upgrade()
    content = content or load_content(settings.content_dir)
    cipher = cipher_for(settings)
    engine = Engine(
        database,
        cipher,
        content,
        clock=clock,
        notifier=notifier,
        retention_days=settings.retention_days,
    )
    lease = timedelta(seconds=settings.outbox_lease_seconds)
    worker = OutboxWorker(database, cipher, senders, clock, lease=lease)
    return Runtime(settings, database, cipher, engine, worker)
