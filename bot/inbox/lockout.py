"""Login throttling: after repeated failures an account, or a client address, is locked.

Kept in this process's memory: a restart forgets it, and with N gateway processes an
attacker gets at most N times the allowance per lockout period — still far too few tries
to guess a password, and no table of failures to purge.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from aiohttp import web

LOCKOUT = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # wrong passwords for one name within LOCKOUT
ADDRESS_FAILURES = 20  # from one client address: higher, as mediators may share an office NAT
LOCAL_PROXY = ("127.0.0.1", "::1")


class LoginGuard:
    """Failures per key ("name:anne", "ip:192.0.2.1") within the last LOCKOUT."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[datetime]] = {}

    def locked_until(self, name: str, address: str, now: datetime) -> datetime | None:
        """When the account and the address are both unlocked again; None if neither is locked."""
        ends = [self._unlocks(key, limit, now) for key, limit in _keys(name, address)]
        locked = [end for end in ends if end is not None]
        return max(locked) if locked else None

    def failed(self, name: str, address: str, now: datetime) -> None:
        """Count a wrong name or password."""
        for key, _ in _keys(name, address):
            self._failures.setdefault(key, deque(maxlen=ADDRESS_FAILURES)).append(now)
        if len(self._failures) > 10_000:  # forget keys whose failures are all old
            self._failures = {k: v for k, v in self._failures.items() if v[-1] > now - LOCKOUT}

    def succeeded(self, name: str, address: str) -> None:
        """A right password clears the account's failures (not the address's)."""
        self._failures.pop(_keys(name, address)[0][0], None)

    def _unlocks(self, key: str, limit: int, now: datetime) -> datetime | None:
        recent = [t for t in self._failures.get(key, ()) if t > now - LOCKOUT]
        return recent[-limit] + LOCKOUT if len(recent) >= limit else None


def _keys(name: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
    return (f"name:{name.lower()}", ACCOUNT_FAILURES), (f"ip:{address}", ADDRESS_FAILURES)


LOGIN_GUARD = web.AppKey("login_guard", LoginGuard)


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this host, the one it forwarded."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if request.remote in LOCAL_PROXY and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()  # the address the proxy itself saw
    return request.remote or "unknown"
