"""The intake spool: durable, encrypted, replayed in order, refusals set aside."""

from __future__ import annotations

from sqlalchemy.exc import DataError, OperationalError

from bot.crypto import AddressCipher
from bot.messages import Address, InboundMessage, Location
from bot.outage import is_outage
from bot.spool import Spool, inbound_from_dict, inbound_to_dict
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
