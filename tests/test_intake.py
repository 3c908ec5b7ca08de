"""Hostile input from outside answers 4xx, or 200 and ignored; never a 500 (a client
leaving mid-body: tests/faults/test_attacks.py, against `aiguillage serve`)."""

from __future__ import annotations

import asyncio
import json

from bot.channels import sms, telegram
from tests.channels.test_bad_input import push, rows
from tests.channels.test_gateway import WEBHOOK_SECRET, platforms
from tests.fake_twilio import signature
from tests.harness import PUBLIC

JSON = "application/json"


async def raw_request(client, head: bytes, body: bytes = b"") -> bytes:  # noqa: ANN001
    """Send bytes as they are (headers an HTTP client would refuse to write)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(head + b"\r\n\r\n" + body)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(200), 10)
    writer.close()
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def nested(depth: int) -> bytes:
    return b'{"update_id": 7, "message": ' + b"[" * depth + b"]" * depth + b"}"


def reply_chain(p, length: int) -> bytes:  # noqa: ANN001
    update = p.telegram.text_update(5353, "papi")
    base = {"message_id": 1, "date": 0, "chat": {"id": 5353, "type": "private"}, "text": "x"}
    message = update["message"]
    for n in range(length):
        message["reply_to_message"] = {**base, "message_id": 1000 + n}
        message = message["reply_to_message"]
    return json.dumps(update).encode()


def text_as_number(p) -> bytes:  # noqa: ANN001
    update = p.telegram.text_update(5454, "papi")
    update["message"]["text"] = 12345
    return json.dumps(update).encode()


def huge_ids(p) -> list[tuple[str, bytes]]:  # noqa: ANN001
    update = p.telegram.text_update(5555, "papi")
    big_update = {**update, "update_id": 10**120}
    big_chat = json.loads(json.dumps(update))
    big_chat["message"]["chat"]["id"] = 10**120
    return [("huge update_id", json.dumps(big_update).encode()),
            ("huge chat id", json.dumps(big_chat).encode())]  # fmt: skip


async def test_hostile_telegram_updates_get_4xx_or_are_ignored(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway():
        cases = [
            ("JSON nested 30,000 deep", nested(30_000)),
            ("a reply chain 500 long", reply_chain(p, 500)),
            ("text as a number", text_as_number(p)),
            *huge_ids(p),
        ]
        for label, body in cases:
            status = await push(p, body, JSON)
            assert status in (200, 400), (label, status)
        assert await rows(p) == (0, 0)


async def test_huge_sids_get_400(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway():
        for label, form in [
            ("huge MessageSid", {"MessageSid": "SM" + "9" * 5000, "From": "+33600000001"}),
            ("huge From", {"MessageSid": "SMhuge", "From": "+33" + "6" * 5000}),
        ]:
            headers = {"X-Twilio-Signature": signature(PUBLIC + sms.INBOUND_PATH, form)}
            response = await p.client.post(sms.INBOUND_PATH, data=form, headers=headers)
            assert response.status == 400, label
        assert await rows(p) == (0, 0)


async def test_headers_that_are_not_utf8_get_403(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway():
        client = p.client.server
        secret = (
            b"POST " + telegram.WEBHOOK_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2\r\n"
            b"X-Telegram-Bot-Api-Secret-Token: " + WEBHOOK_SECRET.encode() + b"\xff\xfe"
        )
        assert status_of(await raw_request(client, secret, b"{}")) == 403
        admin = (
            b"POST /admin/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
            b"Authorization: Bearer \xff\xfe"
        )
        assert status_of(await raw_request(client, admin)) == 403
