"""Login throttling: every attempt is counted before its password is checked.

One statement counts the attempt for the account and for the client address and returns
both counts, so parallel guesses cannot slip through between a check and a count: past
ACCOUNT_FAILURES attempts for a name, or ADDRESS_FAILURES from an address, within
LOCKOUT, the password is not even checked. The counts live in the database, so they hold
across gateway processes and restarts; a right password takes its own attempt back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    Column,
    CursorResult,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    case,
    delete,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

LOCKOUT = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # attempts for one name within LOCKOUT
ADDRESS_FAILURES = 20  # from one client address: higher, as mediators may share an office NAT

ATTEMPTS = Table(
    "login_attempts",
    MetaData(),
    Column("key", String(120), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("window_start", DateTime(timezone=True), nullable=False),
)


def attempt_keys(name: str, address: str) -> dict[str, int]:
    """The counters an attempt goes to, with their allowance."""
    # Names longer than an account name (60) cannot match one: cut, so the key fits.
    return {f"name:{name.lower()[:60]}": ACCOUNT_FAILURES, f"ip:{address[:60]}": ADDRESS_FAILURES}


async def count_attempt(
    session: AsyncSession, name: str, address: str, now: datetime
) -> datetime | None:
    """Count one login attempt; when the account or the address is over its allowance,
    the moment both are unlocked again, else None. The caller commits."""
    keys = attempt_keys(name, address)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(ATTEMPTS).values(
        [{"key": key, "attempts": 1, "window_start": now} for key in sorted(keys)]
    )
    expired = ATTEMPTS.c.window_start <= now - LOCKOUT  # a window is LOCKOUT long
    upsert = insert.on_conflict_do_update(
        index_elements=[ATTEMPTS.c.key],
        set_={
            "attempts": case((expired, 1), else_=ATTEMPTS.c.attempts + 1),
            "window_start": case(
                (expired, insert.excluded.window_start), else_=ATTEMPTS.c.window_start
            ),
        },
    ).returning(ATTEMPTS.c.key, ATTEMPTS.c.attempts, ATTEMPTS.c.window_start)
    rows = (await session.execute(upsert)).all()
    ends = [_aware(start, now) + LOCKOUT for key, count, start in rows if count > keys[key]]
    return max(ends) if ends else None


async def take_back_attempt(session: AsyncSession, name: str, address: str) -> None:
    """A right password is not a failure: its attempt no longer counts (the others stay)."""
    await session.execute(
        update(ATTEMPTS)
        .where(ATTEMPTS.c.key.in_(list(attempt_keys(name, address))), ATTEMPTS.c.attempts > 0)
        .values(attempts=ATTEMPTS.c.attempts - 1)
    )


async def forget_old_attempts(session: AsyncSession, now: datetime) -> int:
    """Delete counters whose window has ended; returns how many."""
    result = await session.execute(delete(ATTEMPTS).where(ATTEMPTS.c.window_start <= now - LOCKOUT))
    return cast("CursorResult[()]", result).rowcount or 0  # a DELETE answers a CursorResult


def _aware(moment: datetime, now: datetime) -> datetime:
    # SQLite gives back naive datetimes; they were written in the clock's zone.
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment
