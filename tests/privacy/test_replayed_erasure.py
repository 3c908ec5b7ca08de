"""OUBLIE retried by the platform is answered once; erased text leaves SQLite's WAL."""

from __future__ import annotations

from bot.messages import Address, InboundMessage
from tests.inbox.gateway import running_gateway

RESIDENT = "+33612345699"
SECRET_TEXT = "zorglub-ma-phrase-tres-personnelle"


async def say(gw, text: str, platform_id: str) -> bool:  # noqa: ANN001
    inbound = InboundMessage(Address("sms", RESIDENT), text, platform_id, gw.now)
    stored = await gw.runtime.intake.receive(inbound)
    await gw.runtime.intake.drain()
    await gw.flush()
    return stored


async def test_a_replayed_oublie_confirms_once_and_the_wal_is_emptied(tmp_path) -> None:
    async with running_gateway(tmp_path) as gw:
        assert await say(gw, f"bonjour {SECRET_TEXT}", "SMfirst")
        assert await say(gw, "OUBLIE", "SMoublie")
        confirmations = len(gw.sent)
        wal = tmp_path / "gateway.db-wal"
        assert not wal.exists() or SECRET_TEXT.encode() not in wal.read_bytes()
        assert not await say(gw, "OUBLIE", "SMoublie")  # Twilio's retry of the same webhook
        assert not await say(gw, f"bonjour {SECRET_TEXT}", "SMfirst")  # and of an older one
        assert len(gw.sent) == confirmations
        async with gw.runtime.database.session() as session:
            from sqlalchemy import func, select

            from bot.store.models import Contact

            assert (await session.execute(select(func.count()).select_from(Contact))).scalar() == 0
