"""The intake spool: durable, encrypted, replayed in order, refusals set aside."""

from __future__ import annotations

from sqlalchemy.exc import DataError, OperationalError

from bot.crypto import AddressCipher
from bot.gateway.spool import Spool, inbound_from_dict, inbound_to_dict
from bot.messages import Address, InboundMessage, Location
from bot.outage import is_outage
from tests.harness import SECRET, WEDNESDAY_MORNING


def message(n: int) -> InboundMessage:
    return InboundMessage(
        Address("sms", f"+3361234560{n}"), f"bonjour {n}", f"SM{n}", WEDNESDAY_MORNING,
        location=Location(48.39, -4.49) if n == 1 else None,
    )  # fmt: skip


async def test_spooled_messages_are_encrypted_and_replayed_in_order(tmp_path) -> None:
    spool = Spool(tmp_path / "spool", AddressCipher(SECRET))
    for n in range(5):
        await spool.put("inbound", inbound_to_dict(message(n)))
    assert spool.waiting == 5
    for path in spool.entries():
        assert b"+336" not in path.read_bytes() and b"bonjour" not in path.read_bytes()
    again = Spool(tmp_path / "spool", AddressCipher(SECRET))  # after a restart
    assert again.waiting == 5
    stored: list[InboundMessage] = []
    down = [True]

    async def store(kind: str, data: dict) -> None:
        if down[0]:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError())
        inbound = inbound_from_dict(data)
        if inbound.platform_id == "SM3":
            raise DataError("INSERT", {}, ValueError("value too long"))
        stored.append(inbound)

    assert await again.replay(store, is_outage) == 0 and again.waiting == 5  # still down
    down[0] = False
    assert await again.replay(store, is_outage) == 4
    assert [m.platform_id for m in stored] == ["SM0", "SM1", "SM2", "SM4"]
    assert stored[1] == message(1)
    assert again.waiting == 0 and not again.entries()
    assert [p.name for p in (tmp_path / "spool" / "dead").iterdir()]  # set aside, not lost


async def test_the_gateway_spools_messages_and_reports_while_the_database_is_away(
    tmp_path,
) -> None:
    from sqlalchemy import select

    from bot.store.db import Database
    from bot.store.models import Message, OutboxItem
    from tests.inbox.gateway import running_gateway

    async with running_gateway(tmp_path, spool_dir=tmp_path / "spool") as gw:
        runtime = gw.runtime
        await gw.resident_says("+33612345601", "bonjour")  # a reply with a platform id
        async with runtime.database.session() as session:
            sent = (await session.execute(select(OutboxItem.platform_id))).scalars().first()
        real, away = runtime.database, Database("postgresql+asyncpg://nobody@127.0.0.1:9/none")
        runtime.intake.database = runtime.engine.database = away  # refused at once: an outage
        try:
            assert await runtime.intake.receive(message(7))
            report = {"platform_id": sent, "outcome": "delivered", "error": "", "opted_out": False}
            await runtime.intake.receive_report("sms", report)
            assert await runtime.intake.receive(message(7))  # the platform's retry, spooled too
            assert runtime.spool.waiting == 3
        finally:
            runtime.intake.database = runtime.engine.database = real
            await away.close()
        assert await runtime.spool.replay(runtime.intake.store_spooled, is_outage) == 3
        await runtime.intake.drain()
        await gw.flush()
        async with runtime.database.session() as session:
            stored = await session.execute(select(Message).where(Message.platform_id == "SM7"))
            assert len(stored.scalars().all()) == 1  # the retry was dropped by the dedup
            query = select(OutboxItem.status).where(OutboxItem.platform_id == sent)
            assert (await session.execute(query)).scalar_one() == "delivered"
        assert any(to.value == "+33612345607" for to, _ in gw.sent)  # answered
