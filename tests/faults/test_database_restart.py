"""PostgreSQL stopped in the middle of a burst of signed SMS webhooks, then started again:
the webhooks are spooled and acknowledged meanwhile, never answered 503."""

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
OUTAGE = 4.0  # seconds; the burst takes about 1 s, Twilio would retry once within 15 s


async def test_a_database_outage_is_spooled_never_503_and_each_message_answered_once(
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

                async def outage() -> None:
                    await asyncio.sleep(0.8)
                    await asyncio.to_thread(postgres_server.stop, "fast")
                    await asyncio.sleep(OUTAGE)
                    for n in range(0, RESIDENTS, 10):  # Twilio retries some, same MessageSid
                        assert await send_sms(session, gateway.url, n) == 200
                    await asyncio.to_thread(postgres_server.start)

                await asyncio.gather(burst(), outage())
                assert set(statuses.values()) == {200}  # never a 503, nothing to retry
            await outbox_settled(database_url, seconds=60)
        finally:
            gateway.stop()
    counts = replies_per_resident(twilio.sent)
    assert counts == {resident(n): 1 for n in range(RESIDENTS)}
    log = gateway.log.read_text()
    assert "intake.spooled" in log, "the outage did not fall within the burst"
    assert not [n for n in range(RESIDENTS) if resident(n) in log]  # numbers never logged
    assert not list((tmp_path / "spool").glob("*.msg"))  # all replayed
    for spooled in (tmp_path / "spool").glob("**/*"):  # nothing in clear on disk meanwhile
        assert b"+336" not in spooled.read_bytes()
