"""Group commit: what arrives while one batch is being stored is stored together next.

A webhook waits for its own item to be committed, as before, but a busy gateway pays one
transaction for many webhooks. An idle one adds no delay: the first item starts a batch
at once, and the items that arrive while its commit is in flight make the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from bot.logs import fields

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("aiguillage")

BATCH_CAP = 100  # items stored in one transaction at most


class GroupCommit(Generic[T, R]):
    """Stores items in batches, one batch at a time, in arrival order.

    `store` stores a batch in one transaction and returns one result per item, in order.
    When a batch fails for a reason that is not a database outage (`is_outage`), its items
    are stored again one by one, so one bad item fails only its own caller; an outage
    fails them all at once (each caller spools its item)."""

    def __init__(
        self,
        store: Callable[[Sequence[T]], Awaitable[list[R]]],
        is_outage: Callable[[BaseException], bool],
        cap: int = BATCH_CAP,
    ) -> None:
        self.store = store
        self.is_outage = is_outage
        self.cap = cap
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._running: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Store `item` with whatever else is waiting; returns once it is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if self._running is None:
            self._running = loop.create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.cap], self._waiting[self.cap :]
                await self._store(batch)
        finally:
            self._running = None

    async def _store(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self.store([item for item, _ in batch])
        except Exception as error:
            if len(batch) > 1 and not self.is_outage(error):
                log.warning("batch.alone", extra=fields(size=len(batch), error=repr(error)))
                for one in batch:
                    await self._store([one])
                return
            _fail(batch, error)
            return
        except BaseException:  # cancelled (a shutdown): nobody must wait for ever
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # done: its caller gave up waiting (a timeout)
                future.set_result(result)


def _fail(batch: list[tuple[T, asyncio.Future[R]]], error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)
