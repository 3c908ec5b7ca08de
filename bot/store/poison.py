"""Messages whose turn keeps failing: retried with backoff, then set aside as dead letters.

A turn that fails because the database is unreachable is not the message's fault: it is
swept again, uncounted. Any other failure counts against the message; after
MAX_TURN_ATTEMPTS it is a dead letter, shown in /metrics and in the inbox, and no longer
tried, so a few poison messages never hide newer ones from the sweeper.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Message

MESSAGES: Table = Message.__table__
MAX_TURN_ATTEMPTS = 5  # failed turns before a message is a dead letter
RETRY_BASE = timedelta(seconds=5)  # then 10, 20, 40 s: a passing bug has time to pass
# Errors the same statement would meet again: the data is at fault, not the database.
REFUSED = (DataError, IntegrityError, NotSupportedError, ProgrammingError)


def is_outage(error: BaseException) -> bool:
    """Is this the database being unreachable (worth waiting out), not a refusal?"""
    unreachable = isinstance(error, SQLAlchemyError | OSError | TimeoutError)
    return unreachable and not isinstance(error, REFUSED)


async def due_unprocessed(
    session: AsyncSession, now: datetime, limit: int = 100
) -> list[tuple[int, int]]:
    """(message id, contact id) of accepted messages to answer: not answered, not dead,
    not waiting for their next attempt; oldest first."""
    query = (
        select(MESSAGES.c.id, MESSAGES.c.contact_id)
        .where(
            MESSAGES.c.direction == "in",
            MESSAGES.c.processed_at.is_(None),
            MESSAGES.c.turn_attempts < MAX_TURN_ATTEMPTS,
            or_(MESSAGES.c.retry_at.is_(None), MESSAGES.c.retry_at <= now),
        )
        .order_by(MESSAGES.c.id)
        .limit(limit)
    )
    return [(row.id, row.contact_id) for row in await session.execute(query)]


async def record_failed_turn(session: AsyncSession, message_id: int, now: datetime) -> int:
    """Count a failed turn and set the next attempt; returns the attempts so far."""
    attempts = (
        await session.execute(select(Message.turn_attempts).where(Message.id == message_id))
    ).scalar()
    if attempts is None:  # erased meanwhile
        return 0
    attempts += 1
    await session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == message_id)
        .values(turn_attempts=attempts, retry_at=now + RETRY_BASE * 2 ** (attempts - 1))
    )
    return attempts


async def dead_letters(session: AsyncSession) -> int:
    """How many residents' messages were given up on."""
    query = select(func.count()).where(
        MESSAGES.c.direction == "in",
        MESSAGES.c.processed_at.is_(None),
        MESSAGES.c.turn_attempts >= MAX_TURN_ATTEMPTS,
    )
    return (await session.execute(query)).scalar_one()
