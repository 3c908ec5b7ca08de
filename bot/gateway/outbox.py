"""The outbox worker: sends due replies with pacing, retries and exponential backoff.

Rows are claimed in a transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several
gateway processes never send the same row; a crashed worker's claim expires after LEASE,
and a worker stopped cleanly hands back the rows it had not tried yet. A send the platform
accepted is recorded even through a database outage (retried for half the lease): a row
left "sending" would go out again. Only a crash between the platform's answer and that
record sends a reply twice (at-least-once there).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.crypto import AddressCipher, redact
from bot.delivery import DeliveryError, Pace, Sender
from bot.logs import fields
from bot.messages import Address, Reply, reply_to_dict
from bot.store.db import Database
from bot.store.outbox_rows import PER_LANE, ClaimedItem, Queued
from bot.store.repository import Repository

log = logging.getLogger("aiguillage.outbox")

Change = Callable[[Repository], Awaitable[None]]

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10  # 2 s doubling to 17 min: about 34 minutes of platform outage survived
BASE_DELAY = 2.0  # seconds; doubles at each attempt, capped at MAX_DELAY
MAX_DELAY = 3600.0
MAX_LANES = 50  # destinations being sent to at once by one process
DIGEST_ABOVE = 10  # posts waiting for the mediators' group beyond this become one digest


# What a daily SMS cap never holds back: people answering, and what must be confirmed.
ALWAYS_SENT = frozenset(
    {"ticket.answer", "ticket.closed", "handoff", "handoff.soon", "handoff.later",
     "stop.confirm", "start.confirm", "forget.confirm", "emergency"}
)  # fmt: skip


class DailyCap:
    """SMS sent since midnight (UTC), read from the database now and then (every process
    shares it) and counted here in between."""

    REFRESH = timedelta(seconds=30)

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._day: datetime | None = None
        self._sent = 0
        self._read_at: datetime | None = None
        self._warned: datetime | None = None

    async def sent_today(self, repo: Repository, now: datetime) -> int:
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self._day != day or self._read_at is None or now - self._read_at > self.REFRESH:
            self._day, self._read_at = day, now
            self._sent = await repo.sent_since("sms", day)
        return self._sent

    def room(self, now: datetime) -> int:
        """SMS that may still go today, as counted here; 0 when the count is to be read."""
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self._day != day or self._read_at is None or now - self._read_at > self.REFRESH:
            return 0
        return self.limit - self._sent

    def claimed(self, count: int) -> None:
        self._sent += count

    def tomorrow(self, now: datetime) -> datetime:
        return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)

    def warn_today(self, now: datetime) -> bool:
        """True once a day: the first time the cap holds something back."""
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self._warned == day:
            return False
        self._warned = day
        return True


def backlog_digest(counts: dict[str, int], inbox_url: str = "/inbox/") -> str:
    """The post that replaces a backlog in the mediators' group."""
    tickets = counts.get("ticket", 0)
    others = sum(counts.values()) - tickets
    parts = []
    if tickets:
        parts.append(f"{tickets} nouvelle{'s' * (tickets > 1)} demande{'s' * (tickets > 1)}")
    if others:
        parts.append(f"{others} autre{'s' * (others > 1)} message{'s' * (others > 1)}")
    return f"{' et '.join(parts)} en attente : voir la messagerie {inbox_url}"


def backoff(attempts: int) -> float:
    """Seconds to wait before the next attempt after `attempts` failures."""
    return min(BASE_DELAY * 2.0 ** (attempts - 1), MAX_DELAY)


class Pacer:
    """Spaces the sends of one channel in this process: per address and overall."""

    def __init__(self, pace: Pace, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.pace = pace
        self.monotonic = monotonic
        self._next_any = 0.0
        self._next_for: dict[str, float] = {}

    async def wait(self, address: str) -> None:
        """Sleep until this address may be sent to; the slot is reserved before sleeping."""
        now = self.monotonic()
        at = max(now, self._next_any, self._next_for.get(address, 0.0))
        self._next_any = at + self.pace.overall
        self._next_for[address] = at + self.pace.per_address
        if len(self._next_for) > 10_000:  # forget addresses whose slot has passed
            self._next_for = {a: t for a, t in self._next_for.items() if t > now}
        if at > now:
            await asyncio.sleep(at - now)

    def hold(self, seconds: float) -> None:
        """Send nothing more on this channel for `seconds` (the platform said to wait)."""
        self._next_any = max(self._next_any, self.monotonic() + seconds)


Started = dict[asyncio.Task[None], list[ClaimedItem]]  # a lane's task -> the rows it got


def by_lane(items: list[ClaimedItem]) -> dict[str, list[ClaimedItem]]:
    lanes: dict[str, list[ClaimedItem]] = {}
    for item in items:
        lanes.setdefault(item.lane, []).append(item)
    return lanes


class Handover:
    """What the turns of this process pass to its outbox worker: the rows they queued
    (after their commit), and the wake-up. Built with the intake, before the worker."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.rows: list[Queued] = []
        self.claim = True  # the worker is to claim from the database
        self.lease: timedelta | None = None  # a worker runs here: replies are queued claimed

    def wake(self, queued: Sequence[Queued] = ()) -> None:
        """Rows to send (already claimed, or waiting for a claim); none: claim due ones."""
        self.rows += queued
        self.claim = self.claim or not queued
        self.event.set()


class SentMarks:
    """Records accepted sends, many in one statement: sends that finish while a write is
    under way go in the next one. A write outlives a cancelled sender: a row the platform
    took must not stay "sending" (it would go again after the lease)."""

    def __init__(self, write: Callable[[Change], Awaitable[None]], clock: Callable[[], datetime]):
        self._write = write
        self._clock = clock
        self._waiting: dict[int, str | None] = {}
        self._batch: asyncio.Future[None] | None = None  # done when the waiting ones are written
        self._writer: asyncio.Task[None] | None = None

    async def sent(self, item_id: int, platform_id: str | None) -> None:
        """Record one accepted send; returns once it is committed."""
        self._waiting[item_id] = platform_id
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
        batch = self._batch
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        await asyncio.shield(batch)

    async def _drain(self) -> None:
        try:
            while self._waiting and self._batch is not None:
                written, self._waiting = self._waiting, {}
                batch, self._batch = self._batch, None
                try:
                    await self._write(functools.partial(self._mark, written))
                except Exception as error:
                    batch.set_exception(error)
                    batch.exception()  # retrieved: the senders waiting raise it, if any
                else:
                    batch.set_result(None)
        finally:
            self._writer = None

    async def _mark(self, written: dict[int, str | None], repo: Repository) -> None:
        await repo.mark_sent(written, self._clock())

    async def flush(self) -> None:
        """Wait for the writes under way (a stopping worker)."""
        if self._writer is not None:
            await self._writer


class OutboxWorker:
    """Sends due rows through the channel senders it is given, each destination in its own
    lane: rows to one address go in order and at its pace, while other lanes go on.

    While it runs, the turns of this process insert their replies already claimed for it and
    hand them over after their commit (`Handover`): those are sent without a claim. It claims
    from the database when woken without rows, at start, and every `poll_interval` (retries,
    other processes' expired leases, rows held behind an earlier one)."""

    def __init__(
        self,
        database: Database,
        cipher: AddressCipher,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        poll_interval: float = 0.5,
        batch: int = 20,
        lease: timedelta = LEASE,
        digest_to: Address | None = None,
        digest_text: Callable[[dict[str, int]], str] | None = None,
        digest_above: int = DIGEST_ABOVE,
        sms_daily_limit: int | None = None,
        wakeup: Handover | None = None,
    ) -> None:
        self.database = database
        self.cipher = cipher
        self.senders = dict(senders)
        self.clock = clock
        self.poll_interval = poll_interval
        self.batch = batch
        self.lease = lease
        self.digest_to = digest_to  # the mediators' group: its backlog becomes one post
        self.digest_text = digest_text or backlog_digest
        self.digest_above = digest_above
        self.sms_cap = DailyCap(sms_daily_limit) if sms_daily_limit else None
        self.handover = wakeup or Handover()  # shared with the intake, built first
        self._pacers: dict[str, Pacer] = {}
        self._busy: dict[str, asyncio.Task[None]] = {}  # lane -> the task sending its rows
        self._waiting: dict[str, deque[ClaimedItem]] = {}  # lane -> its rows not yet tried
        self._refill: set[str] = set()  # lanes with rows left in the database: claim after
        self._marks = SentMarks(self._write, clock)

    def wake(self, queued: Sequence[Queued] = ()) -> None:
        """Send these rows (queued already claimed) now; without rows, claim due ones now."""
        self.handover.wake(queued)

    async def run(self) -> None:
        """Send due rows until cancelled; a database outage is logged and waited out."""
        handover = self.handover
        handover.lease, handover.claim = self.lease, True  # replies may now be handed here
        sweep_at = 0.0
        try:
            while True:
                handover.event.clear()  # before taking rows: a wake-up meanwhile is not lost
                try:
                    await self._start(await self._within_cap(self._handed()))
                    if handover.claim or time.monotonic() >= sweep_at:
                        handover.claim = False
                        sweep_at = time.monotonic() + self.poll_interval
                        started = await self._start_lanes()
                        full = sum(map(len, started.values())) >= self.batch
                        handover.claim = handover.claim or full  # or woken meanwhile
                except Exception:
                    log.exception("outbox.error")
                if not handover.claim:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
                    # cancel that lands as the wake-up fires, and a stopping server then
                    # waits forever.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(max(0.0, sweep_at - time.monotonic())):
                            await handover.event.wait()
        finally:
            handover.lease = None  # the turns insert unclaimed rows again
            lanes = list(self._busy.values())
            for task in lanes:
                task.cancel()  # each hands back the rows it had not tried
            await asyncio.gather(*lanes, return_exceptions=True)
            untried = [q.item for q in handover.rows if q.item is not None]
            handover.rows = []
            if untried:
                await self._release(untried)
            await self._marks.flush()

    async def send_due(self) -> int:
        """Claim one batch of due rows and send them; returns how many were claimed."""
        started = await self._start_lanes()
        await asyncio.gather(*started)
        return sum(len(items) for items in started.values())

    def _handed(self) -> list[ClaimedItem]:
        """The rows the turns handed over since last time; a row left for a claim asks for
        one, once its lane is done here if it is being sent here."""
        queued, self.handover.rows = self.handover.rows, []
        for row in queued:
            if row.item is None and row.lane in self._busy:
                self._refill.add(row.lane)
            elif row.item is None:
                self.handover.claim = True
        return [row.item for row in queued if row.item is not None]

    async def _start_lanes(self) -> Started:
        """Claim due rows of the lanes not being sent, and start a task per lane."""
        room = MAX_LANES - len(self._busy)
        if not self.senders or room <= 0:
            return {}
        async with self.database.session() as session:
            repo = Repository(session, self.cipher)
            await self._digest(repo)
            claimed = await repo.claim_due(
                self.clock(),
                min(self.batch, room * PER_LANE),
                self.lease,
                tuple(self.senders),
                busy=tuple(self._busy),
            )
            if self.sms_cap is not None:
                claimed = await self._within_sms_cap(repo, claimed, self.sms_cap)
            await session.commit()
        for lane, items in by_lane(claimed).items():
            if len(items) >= PER_LANE:
                self._refill.add(lane)  # more may wait behind these
        return await self._start(claimed)

    async def _start(self, items: list[ClaimedItem]) -> Started:
        """Queue claimed rows in their lanes; a lane not being sent gets its task. Past
        MAX_LANES, rows of new lanes are handed back for a later claim (and rows this
        process has no sender for)."""
        started: Started = {}
        overflow: list[ClaimedItem] = []
        for lane, rows in by_lane(items).items():
            if rows[0].address.channel not in self.senders:
                overflow += rows
            elif lane in self._busy:
                self._waiting[lane].extend(rows)
            elif len(self._busy) >= MAX_LANES:
                overflow += rows
            else:
                self._waiting[lane] = deque(rows)
                task = asyncio.get_running_loop().create_task(self._deliver_in_order(lane))
                self._busy[lane] = task
                started[task] = rows
        if overflow:
            await self._release(overflow)
            self.handover.claim = True
        return started

    async def _within_cap(self, items: list[ClaimedItem]) -> list[ClaimedItem]:
        """The daily SMS cap on handed rows: counted here while the count is fresh and
        the cap far, else checked with the database as a claim is."""
        cap = self.sms_cap
        if cap is None or not items:
            return items
        counted = len([i for i in items if i.address.channel == "sms"])
        if cap.room(self.clock()) >= counted:
            cap.claimed(counted)
            return items
        async with self.database.session() as session:
            items = await self._within_sms_cap(Repository(session, self.cipher), items, cap)
            await session.commit()
        return items

    async def _within_sms_cap(
        self, repo: Repository, claimed: list[ClaimedItem], cap: DailyCap
    ) -> list[ClaimedItem]:
        """Past SMS_DAILY_LIMIT, the bot's own SMS wait for tomorrow; mediators' answers,
        hand-off notices, STOP/OUBLIE confirmations and emergencies still go. The
        mediators are told once a day."""
        now = self.clock()
        sent = await cap.sent_today(repo, now)
        deferred = []
        for item in claimed:
            if item.address.channel != "sms" or item.payload.get("key") in ALWAYS_SENT:
                continue
            if sent >= cap.limit:
                deferred.append(item)
            else:
                sent += 1  # counted now: a batch cannot overshoot the cap
        cap.claimed(len([i for i in claimed if i.address.channel == "sms"]) - len(deferred))
        if not deferred:
            return claimed
        await repo.defer([i.id for i in deferred], cap.tomorrow(now))
        if cap.warn_today(now):
            log.warning("outbox.sms_daily_limit", extra=fields(limit=cap.limit))
            if self.digest_to is not None:
                text = (
                    f"⚠ Plafond de {cap.limit} SMS par jour atteint : le bot ne répond plus "
                    "par SMS avant demain. Vos réponses aux habitants partent toujours."
                )
                await repo.queue_to_address(self.digest_to, reply_to_dict(Reply(text)), now)
        return [i for i in claimed if i not in deferred]

    async def _digest(self, repo: Repository) -> None:
        """The mediators' group fell behind: what waits becomes one post."""
        if self.digest_to is None or self.digest_to.channel not in self.senders:
            return
        lane = repo.lane_of(self.digest_to)
        if lane in self._busy:
            return
        digested = await repo.digest_backlog(
            lane,
            self.clock(),
            self.digest_above,
            lambda counts: reply_to_dict(Reply(self.digest_text(counts))),
        )
        if digested:
            log.warning("outbox.digested", extra=fields(rows=digested))

    async def _deliver_in_order(self, lane: str) -> None:
        """Send a lane's rows in order; after a failure (the rest waits for its retry: parts
        keep their order) or a stop, the untried ones are handed back."""
        waiting = self._waiting[lane]
        try:
            while waiting:
                await self._pace(waiting[0].address)
                item = waiting.popleft()  # from here its fate is unknown until the platform answers
                if not await self._deliver(item):
                    break
        finally:
            try:
                while waiting:  # a failure, a stop
                    untried = list(waiting)
                    waiting.clear()
                    await self._release(untried)
            finally:
                del self._busy[lane], self._waiting[lane]
                if lane in self._refill:
                    self._refill.discard(lane)
                    self.wake()  # the lane's next rows, if any, may go now

    async def _pace(self, address: Address) -> None:
        pace = getattr(self.senders[address.channel], "pace", None)
        if pace is not None:
            pacer = self._pacers.setdefault(address.channel, Pacer(pace))
            await pacer.wait(address.value)

    async def _deliver(self, item: ClaimedItem) -> bool:
        """Send one row; True when the platform took it (and that is recorded)."""
        sender = self.senders[item.address.channel]
        try:
            platform_id = await sender.send(item.address, item.payload)
        except DeliveryError as error:
            await self._failed(item, error)
            return False
        except Exception as error:  # a network failure, a platform bug: retry later
            await self._failed(item, DeliveryError(f"{type(error).__name__}: {error}"))
            return False
        await self._marks.sent(item.id, platform_id)
        return True

    async def _write(self, change: Change) -> None:
        """Commit a change to a claimed row, waiting out a database outage up to half the
        lease (past it another worker may claim the row again)."""
        deadline = time.monotonic() + self.lease.total_seconds() / 2
        delay = 0.2
        while True:
            try:
                async with self.database.session() as session:
                    await change(Repository(session, self.cipher))
                    await session.commit()
                return
            except Exception:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("outbox.write_retry", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _failed(self, item: ClaimedItem, error: DeliveryError) -> None:
        if error.retry_after and item.address.channel in self._pacers:
            self._pacers[item.address.channel].hold(error.retry_after)
        reason = redact(str(error), item.address.value)  # platforms quote the number back
        final = error.permanent or error.opted_out or item.attempts >= MAX_ATTEMPTS
        at = self.clock() + timedelta(seconds=error.retry_after or backoff(item.attempts))

        async def record(repo: Repository) -> None:
            if error.opted_out and item.contact_id is not None:
                await repo.set_opted_out_by_id(item.contact_id)
            if final:
                await repo.mark_failed(item.id, reason)
            else:
                await repo.mark_retry(item.id, reason, at)

        await self._write(record)
        if final:
            log.warning(
                "outbox.failed", extra=fields(id=item.id, attempts=item.attempts, error=reason)
            )

    async def _release(self, items: list[ClaimedItem]) -> None:
        async with self.database.session() as session:
            await Repository(session, self.cipher).release([i.id for i in items], self.clock())
            await session.commit()
