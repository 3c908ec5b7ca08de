"""Two gateway processes on one PostgreSQL database, webhooks spread over both."""

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

RESIDENTS = 40


async def test_two_processes_never_send_a_reply_twice(tmp_path, postgres_server):
    twilio = FakeTwilio()
    twilio.delay = 0.05
    database_url = await postgres_server.create_database()
    async with twilio.serving() as twilio_url:
        gateways = [GatewayProcess(tmp_path, database_url, twilio_url) for _ in range(2)]
        for gateway in gateways:  # started together: migrations take turns
            gateway.launch()
        try:
            await asyncio.gather(*(gateway.healthy() for gateway in gateways))
            async with ClientSession(timeout=ClientTimeout(total=20)) as session:

                async def both(n: int) -> list[int]:
                    # Twilio's retry of the same webhook may land on the other process.
                    first, second = gateways[n % 2], gateways[1 - n % 2]
                    return await asyncio.gather(
                        send_sms(session, first.url, n), send_sms(session, second.url, n)
                    )

                statuses = await asyncio.gather(*(both(n) for n in range(RESIDENTS)))
            assert {status for pair in statuses for status in pair} == {200}
            await outbox_settled(database_url)
            await asyncio.sleep(1.0)  # both outbox workers polled again since
        finally:
            for gateway in gateways:
                gateway.stop()
    assert replies_per_resident(twilio.sent) == {resident(n): 1 for n in range(RESIDENTS)}
