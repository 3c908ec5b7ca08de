"""Twilio and Telegram unreachable for a while (requests time out): replies go out after, once."""

from __future__ import annotations

from bot.channels import sms
from tests.channels.test_gateway import CHAT, platforms


async def test_platforms_timing_out_for_a_while_deliver_exactly_once(tmp_path, monkeypatch):
    monkeypatch.setattr(sms, "SEND_TIMEOUT", 0.3)  # Twilio's hanging calls give up sooner
    async with platforms(tmp_path) as p, p.gateway():
        p.twilio.hang_next(2, seconds=1.0)
        p.telegram.hang_next(1, seconds=5.5)  # past python-telegram-bot's 5 s read timeout
        assert await p.sms("bonjour", "SM30") == 200
        assert await p.update(p.telegram.text_update(CHAT, "bonjour")) == 200
        await p.retry_until_delivered(150)
        assert p.one_reply_each()
        assert p.twilio.requests == 3
        assert len([c for c in p.telegram.calls if c[0] == "sendMessage"]) == 2
