"""The login lockout against parallel guesses, and its counters on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.store.lockout import (
    ACCOUNT_FAILURES,
    LOCKOUT,
    count_attempt,
    forget_old_attempts,
    take_back_attempt,
)
from tests.inbox.gateway import CSRF, PASSWORD, running_gateway

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GUESSES = 60


async def test_sixty_parallel_guesses_from_sixty_addresses_open_no_session(tmp_path) -> None:
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        page = await (await gw.client.get("/inbox/login")).text()
        csrf = CSRF.search(page).group(1)
        guesses = [f"guess {n}" for n in range(GUESSES - 1)] + [PASSWORD]  # right one last

        async def guess(n: int, password: str) -> int:
            form = {"csrf": csrf, "name": "Anne", "password": password}
            headers = {"X-Forwarded-For": f"198.51.100.{n}"}
            response = await gw.client.post(
                "/inbox/login", data=form, headers=headers, allow_redirects=False
            )
            await response.release()
            return response.status

        statuses = await asyncio.gather(*(guess(n, p) for n, p in enumerate(guesses)))
        assert 303 not in statuses  # no session: the right password came too late
        checked = [s for s in statuses if s == 401]
        assert len(checked) <= ACCOUNT_FAILURES  # only the allowance was even checked
        assert set(statuses) <= {401, 429, 503}
        assert statuses.count(429) >= 1


async def test_attempts_count_before_the_check_and_expire(database) -> None:
    async with database.session() as session:
        for n in range(ACCOUNT_FAILURES):
            assert await count_attempt(session, "Anne", f"192.0.2.{n}", NOON) is None
        assert await count_attempt(session, "ANNE", "192.0.2.99", NOON) == NOON + LOCKOUT
        later = NOON + LOCKOUT
        assert await count_attempt(session, "anne", "192.0.2.99", later) is None  # new window
        await take_back_attempt(session, "anne", "192.0.2.99")  # the right password
        for _ in range(ACCOUNT_FAILURES):
            assert await count_attempt(session, "anne", "192.0.2.7", later) is None
        assert await count_attempt(session, "anne", "192.0.2.7", later) is not None
        assert await forget_old_attempts(session, later + LOCKOUT + timedelta(seconds=1)) >= 2
        await session.commit()
