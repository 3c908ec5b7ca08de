"""PostgreSQL restarted in the middle of a burst of signed SMS webhooks."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession, ClientTimeout

from tests.fake_twilio import FakeTwilio
from tests.faults.gateway import (
    GatewayProcess,
    outbox_settled,
    replies_per_resident,
    resident,
    send_sms,
)

RESIDENTS = 60


async def test_a_database_restart_loses_nothing_and_answers_each_webhook_once(
    tmp_path, postgres_server
):
    twilio = FakeTwilio()
    twilio.delay = 0.2  # sends are in flight when the database goes away
    database_url = await postgres_server.create_database()
    async with twilio.serving() as twilio_url:
        gateway = GatewayProcess(tmp_path, database_url, twilio_url)
        await gateway.start()
        try:
            async with ClientSession(timeout=ClientTimeout(total=20)) as session:
                statuses: dict[int, int] = {}

                async def one(n: int) -> None:
                    statuses[n] = await send_sms(session, gateway.url, n)

                async def burst() -> None:  # six at a time, so turns and sends are in flight
                    for first in range(0, RESIDENTS, 6):
                        await asyncio.gather(*(one(n) for n in range(first, first + 6)))
                        await asyncio.sleep(0.1)

                async def restart() -> None:
                    await asyncio.sleep(0.8)
                    await asyncio.to_thread(postgres_server.stop, "fast")
                    await asyncio.sleep(1.0)
                    await asyncio.to_thread(postgres_server.start)

                await asyncio.gather(burst(), restart())
                refused = [n for n, status in statuses.items() if status != 200]
                assert refused, "the restart did not fall within the burst"
                assert {statuses[n] for n in refused} == {503}  # Twilio retries a 5xx
                for n in refused:  # Twilio's retry, with the same MessageSid
                    assert await send_sms(session, gateway.url, n) == 200
            await outbox_settled(database_url)
        finally:
            gateway.stop()
    counts = replies_per_resident(twilio.sent)
    assert counts == {resident(n): 1 for n in range(RESIDENTS)}
    log = gateway.log.read_text()
    assert not [n for n in range(RESIDENTS) if resident(n) in log]  # numbers never logged
