"""Assembles the running gateway: database, content, engine, outbox worker, background turns."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.channels import Sender
from bot.config import Settings
from bot.content import ContentError, load_content
from bot.crypto import AddressCipher, cipher_for
from bot.db import Database
from bot.engine import Accepted, Engine, utcnow
from bot.intake import check_storable
from bot.logs import fields
from bot.mediation.group import GroupMessage, handle_group_message
from bot.messages import Address
from bot.metrics import DUPLICATES, MESSAGES_IN
from bot.outage import is_outage
from bot.outbox import OutboxWorker, backlog_digest
from bot.privacy.erasure import was_erased
from bot.repository import Repository
from bot.spool import Spool, inbound_from_dict, inbound_to_dict

log = logging.getLogger("aiguillage")

ACCEPT_SECONDS = 5.0  # a database slower than this to store a webhook counts as down
TURN_SLOTS = 1  # turns answered at once by one process: see bench/README.md


@dataclass
class Runtime:
    """Everything a channel needs to hand messages to the engine."""

    settings: Settings
    database: Database
    cipher: AddressCipher
    engine: Engine
    worker: OutboxWorker
    spool: Spool | None = None  # None: a database outage fails the webhook (tests, CLI)
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
        and answer it in the background. False when it was a duplicate. While the database
        is unreachable the message is written to the spool instead, and stored later."""
        check_storable(inbound)
        if self.spool is not None and self.spool.waiting:  # keep the arrival order
            await self.spool.put("inbound", inbound_to_dict(inbound))
            return True
        try:
            async with asyncio.timeout(ACCEPT_SECONDS):
                accepted = await self._accept(inbound)
        except Exception as error:
            if self.spool is None or not is_outage(error):
                raise
            log.warning("intake.spooled", extra=fields(error=type(error).__name__))
            await self.spool.put("inbound", inbound_to_dict(inbound))
            return True
        return self._accepted(inbound, accepted)

    async def _accept(self, inbound) -> Accepted | None:  # noqa: ANN001
        """Store the message; None for a platform's retry, also of an erased message."""
        async with self.database.session() as session:
            channel, platform_id = inbound.address.channel, inbound.platform_id
            if await was_erased(session, channel, platform_id):
                return None
        return await self.engine.accept(inbound)

    async def receive_group(self, message: GroupMessage) -> None:
        """Act on a message of the mediators' group; spooled while the database is down."""
        if self.spool is not None and self.spool.waiting:
            await self.spool.put("group", asdict(message))
            return
        try:
            async with asyncio.timeout(ACCEPT_SECONDS):
                await handle_group_message(self, message)
        except Exception as error:
            if self.spool is None or not is_outage(error):
                raise
            log.warning("intake.spooled", extra=fields(error=type(error).__name__))
            await self.spool.put("group", asdict(message))

    async def receive_report(self, channel: str, report: dict) -> None:
        """Record a platform's delivery report on a reply (`platform_id`, `outcome`
        "delivered" or "failed", `error`, `opted_out`); spooled while the database is down."""
        report = {"channel": channel, **report}
        if self.spool is not None and self.spool.waiting:
            await self.spool.put("report", report)
            return
        try:
            async with asyncio.timeout(ACCEPT_SECONDS):
                await self._record_report(report)
        except Exception as error:
            if self.spool is None or not is_outage(error):
                raise
            log.warning("intake.spooled", extra=fields(error=type(error).__name__))
            await self.spool.put("report", report)

    async def _record_report(self, report: dict) -> None:
        async with self.database.session() as session:
            repo = Repository(session, self.cipher)
            item = await repo.record_delivery(
                report["channel"], report["platform_id"], report["outcome"], report["error"]
            )
            if item is not None and item.contact_id is not None and report["opted_out"]:
                await repo.set_opted_out_by_id(item.contact_id)
            await session.commit()

    async def store_spooled(self, kind: str, data: dict) -> None:
        """Store one spooled message (the replay); raises while the database is down."""
        if kind == "report":
            async with asyncio.timeout(ACCEPT_SECONDS):
                await self._record_report(data)
            return
        if kind == "group":
            async with asyncio.timeout(ACCEPT_SECONDS):
                await handle_group_message(self, GroupMessage(**data))
            return
        inbound = inbound_from_dict(data)
        async with asyncio.timeout(ACCEPT_SECONDS):
            accepted = await self._accept(inbound)
        self._accepted(inbound, accepted)

    def _accepted(self, inbound, accepted: Accepted | None) -> bool:  # noqa: ANN001
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
    group = settings.mediators_chat_id
    inbox_url = f"{settings.public_base_url or ''}/inbox/"
    worker = OutboxWorker(
        database,
        cipher,
        senders,
        clock,
        lease=lease,
        digest_to=Address("telegram", str(group)) if group is not None else None,
        digest_text=functools.partial(backlog_digest, inbox_url=inbox_url),
        sms_daily_limit=settings.sms_daily_limit,
    )
    spool = Spool(settings.spool_dir, cipher) if settings.spool_dir else None
    return Runtime(settings, database, cipher, engine, worker, spool)
