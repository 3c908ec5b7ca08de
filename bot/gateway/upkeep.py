"""Periodic work of a running gateway: answer what a failed turn left, purge once a day."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.gateway.runtime import Runtime
from bot.logs import fields
from bot.mediation.group import MediatorsGroup
from bot.mediation.store import MediationRepository
from bot.privacy.retention import purge
from bot.store.db import alone

log = logging.getLogger("aiguillage.upkeep")

SWEEP_SECONDS = 5.0  # an accepted message whose turn failed is answered within this delay
PURGE_SECONDS = 24 * 3600.0
TICKETS_SECONDS = 60.0  # late answers told and idle tickets closed within a minute


async def upkeep(
    runtime: Runtime, sweep_seconds: float = SWEEP_SECONDS, purge_seconds: float = PURGE_SECONDS
) -> None:
    """Until cancelled: answer accepted messages left unanswered (their turn failed, e.g. on
    a database outage), follow up tickets (late, idle) every minute, and purge data older
    than RETENTION_DAYS at start then daily."""
    next_purge = next_tickets = time.monotonic()
    while True:
        try:
            await runtime.intake.sweep()
            if time.monotonic() >= next_tickets:
                if await runtime.engine.follow_up_tickets(runtime.settings.ticket_idle_days):
                    runtime.worker.wake()
                next_tickets = time.monotonic() + TICKETS_SECONDS
            if time.monotonic() >= next_purge:
                await purge_expired(runtime)
                next_purge = time.monotonic() + purge_seconds
        except Exception:  # the database is down: try again at the next sweep
            log.warning("upkeep.failed", exc_info=True)
        await asyncio.sleep(sweep_seconds)


async def purge_expired(runtime: Runtime) -> None:
    """Delete what is older than the retention, and log how much."""
    async with runtime.database.session() as session:
        if not await alone(session, "purge"):  # another gateway purges now
            return
        purged = await purge(session, runtime.engine.clock(), runtime.settings.retention_days)
        await session.commit()
    log.info(
        "privacy.purged",
        extra=fields(
            contacts=purged.contacts,
            tickets=purged.tickets,
            messages=purged.messages,
            outbox=purged.outbox,
        ),
    )


async def follow_up(runtime: Runtime, interval: float = TICKETS_SECONDS) -> None:
    """Every `interval` seconds, announce again in the mediators' group the tickets
    waiting too long."""
    while True:
        group = runtime.engine.notifier
        if isinstance(group, MediatorsGroup):
            async with runtime.database.session() as session:
                repo = MediationRepository(session, runtime.cipher)
                mine = await alone(session, "remind")  # else another gateway posts them now
                if mine and await group.remind(repo, runtime.engine.clock()):
                    await session.commit()
                    runtime.worker.wake()
        await asyncio.sleep(interval)
