"""The outbox worker: sends due replies with retries and exponential backoff.

Rows are claimed in a transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several
gateway processes never send the same row; a crashed worker's claim expires after LEASE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.channels import DeliveryError, Sender
from bot.crypto import AddressCipher
from bot.db import Database
from bot.repository import ClaimedItem, Repository

log = logging.getLogger("aiguillage.outbox")

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BASE_DELAY = 2.0  # seconds; doubles at each attempt, capped at MAX_DELAY
MAX_DELAY = 3600.0


def backoff(attempts: int) -> float:
    """Seconds to wait before the next attempt after `attempts` failures."""
    return min(BASE_DELAY * 2 ** (attempts - 1), MAX_DELAY)


class OutboxWorker:
    """Sends due rows through the channel senders it is given."""

    def __init__(
        self,
        database: Database,
        cipher: AddressCipher,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        poll_interval: float = 0.5,
        batch: int = 20,
    ) -> None:
        self.database = database
        self.cipher = cipher
        self.senders = dict(senders)
        self.clock = clock
        self.poll_interval = poll_interval
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due rows now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            sent = await self.send_due()
            if sent < self.batch:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def send_due(self) -> int:
        """Claim and send one batch of due rows; returns how many were claimed."""
        if not self.senders:
            return 0
        async with self.database.session() as session:
            repo = Repository(session, self.cipher)
            claimed = await repo.claim_due(self.clock(), self.batch, LEASE, tuple(self.senders))
            await session.commit()
        for item in claimed:
            await self._deliver(item)
        return len(claimed)

    async def _deliver(self, item: ClaimedItem) -> None:
        sender = self.senders[item.address.channel]
        try:
            platform_id = await sender.send(item.address, item.payload)
        except DeliveryError as error:
            await self._failed(item, error)
        except Exception as error:  # a network failure, a platform bug: retry later
            await self._failed(item, DeliveryError(f"{type(error).__name__}: {error}"))
        else:
            async with self.database.session() as session:
                await Repository(session, self.cipher).mark_sent(item.id, platform_id, self.clock())
                await session.commit()

    async def _failed(self, item: ClaimedItem, error: DeliveryError) -> None:
        async with self.database.session() as session:
            repo = Repository(session, self.cipher)
            if error.opted_out and item.contact_id is not None:
                await repo.set_opted_out_by_id(item.contact_id)
            if error.permanent or error.opted_out or item.attempts >= MAX_ATTEMPTS:
                await repo.mark_failed(item.id, str(error))
                log.warning("outbox.failed id=%s attempts=%s", item.id, item.attempts)
            else:
                delay = error.retry_after or backoff(item.attempts)
                await repo.mark_retry(item.id, str(error), self.clock() + timedelta(seconds=delay))
            await session.commit()
