"""Assembles the running gateway in one pass: database, content, engine, the intake the
channels get as their `Backend`, then (once the channels gave their senders) the outbox
worker. `Runtime` is the frozen record of the built parts."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.backend import DeliveryReport
from bot.config import Settings
from bot.content import ContentError, load_content
from bot.conversation.engine import TURNS_AT_ONCE, Accepted, Engine, utcnow
from bot.crypto import AddressCipher, cipher_for
from bot.delivery import Sender
from bot.gateway.batching import GroupCommit
from bot.gateway.intake import check_storable
from bot.gateway.outbox import Handover, OutboxWorker, backlog_digest
from bot.gateway.spool import Spool, inbound_from_dict, inbound_to_dict
from bot.logs import fields
from bot.mediation.group import MediatorsGroup, handle_group_message
from bot.mediation.store import MediationRepository
from bot.messages import Address, GroupMessage, InboundMessage
from bot.metrics import DUPLICATES, MESSAGES_IN
from bot.outage import is_outage
from bot.store.db import Database
from bot.store.intake_rows import Report, record_deliveries, writing
from bot.store.outbox_rows import Queued
from bot.store.repository import Repository

log = logging.getLogger("aiguillage")

ACCEPT_SECONDS = 5.0  # a database slower than this to store a webhook counts as down


@dataclass
class Intake:
    """The core as the channels see it (`bot.backend.Backend`): stores what they receive,
    answers it in the background and wakes the outbox."""

    database: Database
    cipher: AddressCipher
    engine: Engine
    handover: Handover  # to the outbox worker: the rows queued, and its wake-up
    spool: Spool | None = None  # None: a database outage fails the webhook (tests, CLI)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # Turns are CPU-bound: one batch at a time keeps webhooks (store, then 200) from
    # queueing behind hundreds of turns on the event loop; the others wait, stored.
    waiting: list[Accepted] = field(default_factory=list)  # for the next batch
    held: set[int] = field(default_factory=set)  # ids of messages waiting or in the batch
    runner: asyncio.Task[None] | None = None  # answers what waits, a batch at a time
    # Webhooks that arrive while one batch is being stored are stored together next.
    messages: GroupCommit[InboundMessage, Accepted | None] = field(init=False)
    reports: GroupCommit[Report, None] = field(init=False)

    def __post_init__(self) -> None:
        self.messages = GroupCommit(self._store_messages, is_outage)
        self.reports = GroupCommit(self._store_reports, is_outage)

    def now(self) -> datetime:
        return self.engine.clock()

    def wake(self, queued: Sequence[Queued] = ()) -> None:
        """Hand the rows a committed transaction queued to the outbox worker; without rows,
        have it look for due ones."""
        self.handover.wake(queued)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run work in the background, tracked so a shutdown can wait for it."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception():
            log.error("task.failed", exc_info=task.exception())

    async def receive(self, inbound: InboundMessage) -> bool:
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

    async def _accept(self, inbound: InboundMessage) -> Accepted | None:
        """Store the message; None for a platform's retry, also of an erased message."""
        return await self.messages.submit(inbound)

    async def _store_messages(self, batch: Sequence[InboundMessage]) -> list[Accepted | None]:
        async with asyncio.timeout(ACCEPT_SECONDS):  # a hung batch holds up the next ones
            return await self.engine.accept_all(batch)

    async def receive_group(self, message: GroupMessage) -> None:
        """Act on a message of the mediators' group; spooled while the database is down."""
        if self.spool is not None and self.spool.waiting:
            await self.spool.put("group", asdict(message))
            return
        try:
            async with asyncio.timeout(ACCEPT_SECONDS):
                await self._act_on_group(message)
        except Exception as error:
            if self.spool is None or not is_outage(error):
                raise
            log.warning("intake.spooled", extra=fields(error=type(error).__name__))
            await self.spool.put("group", asdict(message))

    async def _act_on_group(self, message: GroupMessage) -> None:
        await handle_group_message(self.engine, message)
        self.wake()

    async def receive_report(self, channel: str, report: DeliveryReport) -> None:
        """Record a platform's delivery report on a reply (`platform_id`, `outcome`
        "delivered" or "failed", `error`, `opted_out`); spooled while the database is down."""
        data: dict[str, Any] = {"channel": channel, **report}
        if self.spool is not None and self.spool.waiting:
            await self.spool.put("report", data)
            return
        try:
            async with asyncio.timeout(ACCEPT_SECONDS):
                await self._record_report(data)
        except Exception as error:
            if self.spool is None or not is_outage(error):
                raise
            log.warning("intake.spooled", extra=fields(error=type(error).__name__))
            await self.spool.put("report", data)

    async def _record_report(self, report: dict[str, Any]) -> None:
        await self.reports.submit(Report(**report))

    async def _store_reports(self, batch: Sequence[Report]) -> list[None]:
        async with asyncio.timeout(ACCEPT_SECONDS), writing(self.database.engine) as connection:
            await record_deliveries(connection, batch)
        return [None] * len(batch)

    async def last_heard(self, address: Address) -> datetime | None:
        async with self.database.session() as session:
            return await Repository(session, self.cipher).last_inbound_at(address)

    async def tell_mediators(self, address: Address, text: str) -> None:
        """Post in the group on the person's open ticket (if any), and note it in the
        transcript the inbox shows."""
        now = self.engine.clock()
        async with self.database.session() as session:
            repo = Repository(session, self.cipher)
            contact = await repo.find_contact(address)
            ticket = await repo.open_ticket_of(contact.id) if contact is not None else None
            said = f"#{ticket.id} {text}" if ticket is not None else text
            if self.engine.notifier is not None:
                await self.engine.notifier.post(repo, said, now, ticket, "notice")
            if contact is not None:
                await repo.add_note(contact, ticket, text, now)
            await session.commit()
        log.warning("intake.mediators_told", extra=fields(channel=address.channel))
        self.wake()

    async def opt_out(self, address: Address) -> None:
        await self._opt(address, opted_out=True)

    async def opt_in(self, address: Address) -> None:
        await self._opt(address, opted_out=False)

    async def _opt(self, address: Address, opted_out: bool) -> None:
        """Record that a known person opted out or back in."""
        async with self.database.session() as session:
            repo = Repository(session, self.cipher)
            contact = await repo.find_contact(address)
            if contact is not None and contact.opted_out != opted_out:
                await repo.set_opted_out(contact, opted_out)
                await session.commit()

    async def chat_moves(self) -> dict[int, int]:
        """The recorded moves; the mediators' group notifier follows them."""
        async with self.database.session() as session:
            moves = await MediationRepository(session, self.cipher).chat_moves()
        self._follow(moves)
        return moves

    async def record_chat_move(self, old: int, new: int) -> None:
        async with self.database.session() as session:
            await MediationRepository(session, self.cipher).record_chat_move(
                old, new, self.engine.clock()
            )
            await session.commit()
        self._follow({old: new})

    def _follow(self, moves: Mapping[int, int]) -> None:
        group = self.engine.notifier
        if isinstance(group, MediatorsGroup):
            seen = {group.chat_id}
            while group.chat_id in moves and moves[group.chat_id] not in seen:
                group.chat_id = moves[group.chat_id]
                seen.add(group.chat_id)

    async def store_spooled(self, kind: str, data: dict[str, Any]) -> None:
        """Store one spooled message (the replay); raises while the database is down."""
        if kind == "report":
            async with asyncio.timeout(ACCEPT_SECONDS):
                await self._record_report(data)
            return
        if kind == "group":
            async with asyncio.timeout(ACCEPT_SECONDS):
                await self._act_on_group(GroupMessage(**data))
            return
        inbound = inbound_from_dict(data)
        async with asyncio.timeout(ACCEPT_SECONDS):
            accepted = await self._accept(inbound)
        self._accepted(inbound, accepted)

    def _accepted(self, inbound: InboundMessage, accepted: Accepted | None) -> bool:
        if accepted is None:
            DUPLICATES.labels(inbound.address.channel).inc()
            return False
        MESSAGES_IN.labels(inbound.address.channel).inc()
        self.queue([accepted])
        return True

    def queue(self, accepted: list[Accepted]) -> None:
        """Have these messages answered in the background, unless already on their way."""
        fresh = [a for a in accepted if a.message_id not in self.held]
        self.waiting += fresh
        self.held.update(a.message_id for a in fresh)
        if fresh and (self.runner is None or self.runner.done()):
            self.runner = self.spawn(self._answer())

    async def _answer(self) -> None:
        """Answer what waits, TURNS_AT_ONCE messages a transaction; a batch that failed
        is left to the sweep (bot.gateway.upkeep)."""
        while self.waiting:
            batch = self.waiting[:TURNS_AT_ONCE]
            del self.waiting[:TURNS_AT_ONCE]
            queued: list[Queued] = []
            try:
                queued = await self.engine.process_batch(batch, lease=self.handover.lease)
            except Exception:
                log.exception("turn.failed", extra=fields(messages=len(batch)))
            finally:
                self.held.difference_update(a.message_id for a in batch)
            self.wake(queued)

    async def sweep(self) -> int:
        """Queue the accepted messages left unanswered (a failed turn, a crash) that this
        process is not already answering; returns how many."""
        pending = [a for a in await self.engine.due() if a.message_id not in self.held]
        self.queue(pending)
        return len(pending)

    async def drain(self, grace: float = 10.0) -> None:
        """Wait for in-flight turns; replies they queued stay in the outbox if unsent."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=grace)


@dataclass(frozen=True)
class Core:
    """The parts built before the channels start: they get `intake` as their Backend."""

    settings: Settings
    database: Database
    cipher: AddressCipher
    engine: Engine
    intake: Intake
    handover: Handover  # shared with the outbox worker built next


@dataclass(frozen=True)
class Runtime:
    """The running gateway's parts, built once, in order."""

    settings: Settings
    database: Database
    cipher: AddressCipher
    engine: Engine
    intake: Intake
    worker: OutboxWorker

    @property
    def spool(self) -> Spool | None:
        return self.intake.spool

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


async def open_core(
    settings: Settings,
    clock: Callable[[], datetime] = utcnow,
    notifier: Any = None,
    content: Any = None,
    spool: bool = True,
) -> Core:
    """Migrate the database and load the content (unless given, already validated);
    raises ContentError on invalid content. `spool=False`: no spool (tests, CLI)."""
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
    handover = Handover()
    kept = Spool(settings.spool_dir, cipher) if spool and settings.spool_dir else None
    intake = Intake(database, cipher, engine, handover, kept)
    return Core(settings, database, cipher, engine, intake, handover)


def with_worker(core: Core, senders: Mapping[str, Sender]) -> Runtime:
    """The outbox worker on the channels' senders, and the finished record."""
    settings = core.settings
    group = settings.mediators_chat_id
    inbox_url = f"{settings.public_base_url or ''}/inbox/"
    worker = OutboxWorker(
        core.database,
        core.cipher,
        senders,
        core.engine.clock,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        digest_to=Address("telegram", str(group)) if group is not None else None,
        digest_text=functools.partial(backlog_digest, inbox_url=inbox_url),
        sms_daily_limit=settings.sms_daily_limit,
        wakeup=core.handover,
    )
    return Runtime(settings, core.database, core.cipher, core.engine, core.intake, worker)


async def start_runtime(
    settings: Settings,
    senders: Mapping[str, Sender],
    clock: Callable[[], datetime] = utcnow,
    notifier: Any = None,
    content: Any = None,
) -> Runtime:
    """The whole runtime for senders that need no backend (the terminal, tests, the CLI)."""
    core = await open_core(settings, clock, notifier, content)
    return with_worker(core, senders)
