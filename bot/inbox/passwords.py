"""Password hashes, and a bounded number of checks at once.

An argon2 check takes tens of milliseconds of CPU and 19 MiB: without a bound, a flood of
logins starves the event loop's thread pool and memory, and the webhooks wait behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from functools import cache

from aiohttp import web
from argon2.exceptions import InvalidHashError, VerificationError

from bot.crypto import HASHER, hash_password

__all__ = ["HASHER", "PasswordChecks", "hash_password", "password_matches"]

CHECKS_AT_ONCE = 2  # of 2 cores: the other one stays for webhooks and turns
CHECKS_WAITING = 30  # more logins than this in the queue are told to come back


def password_matches(password_hash: str | None, password: str) -> bool:
    """Check a password against its hash (or against a decoy when there is no account)."""
    try:
        return HASHER.verify(password_hash or unknown_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@cache
def unknown_hash() -> str:
    """A decoy hash: verifying against it when the name is unknown takes as long as a real check."""
    # Made on the first login, not at import: hashing fills argon2's memory, which would
    # raise the gateway's peak even when nobody ever logs in.
    return HASHER.hash(secrets.token_urlsafe(16))


class PasswordChecks:
    """At most `at_once` checks run (in threads), `waiting` more queue; the rest are refused."""

    def __init__(self, at_once: int = CHECKS_AT_ONCE, waiting: int = CHECKS_WAITING) -> None:
        self._running = asyncio.Semaphore(at_once)
        self._admitted = 0
        self._limit = at_once + waiting

    @contextlib.contextmanager
    def admitted(self) -> Iterator[bool]:
        """A place in the queue for one login (True), or False when the queue is full."""
        if self._admitted >= self._limit:
            yield False
            return
        self._admitted += 1
        try:
            yield True
        finally:
            self._admitted -= 1

    async def matches(self, password_hash: str | None, password: str) -> bool:
        """Check a password off the event loop, at most `at_once` at a time. An unknown
        account is checked against the decoy: refused at the same cost as a wrong password."""
        async with self._running:
            return await asyncio.to_thread(password_matches, password_hash, password)


PASSWORD_CHECKS = web.AppKey("password_checks", PasswordChecks)
