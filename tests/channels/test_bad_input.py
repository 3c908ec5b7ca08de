"""Bad input on every webhook, through `create_app`: a clear 4xx or a polite answer, never a
500, and a refused request leaves no row behind (courier's handlertest, as tables)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from sqlalchemy import func, select

from bot.channels import sms, telegram
from bot.gateway.server import RUNTIME
from bot.rendering.gsm import segment_count
from bot.store.models import Contact, Message
from tests.channels.test_gateway import PUBLIC, WEBHOOK_SECRET, Platforms, platforms, until
from tests.fake_twilio import FROM_NUMBER, signature

FORM = "application/x-www-form-urlencoded"
MEGABYTE = b"Body=" + b"x" * 1_000_000
LONG = ("Bonjour, je cherche de l'aide pour ma demarche CAF. " * 100)[:5000]


def signed_form(number: int, text: str, **drop: bool) -> dict[str, str]:
    """A Twilio inbound form from resident number `number`, minus the fields in `drop`."""
    form = {"MessageSid": f"SMbad{number}", "From": f"+336000000{number:02d}", "Body": text}
    return {k: v for k, v in (form | {"To": FROM_NUMBER}).items() if k not in drop}


# label, body (a form to sign, or raw bytes), content type, expected status
REFUSED_SMS = [
    ("empty body, unsigned", b"", FORM, 403),
    ("empty form, signed", {}, FORM, 400),
    ("1 MB body", MEGABYTE, FORM, 413),
    ("JSON instead of a form", b'{"Body": "papi"}', "application/json", 415),
    ("no content type", b"Body=papi", "", 415),
    ("invalid UTF-8", b"MessageSid=SMx&From=%2B33600000099&Body=caf\xe9\xff", FORM, 400),
    ("missing From", signed_form(1, "papi", From=True), FORM, 400),
    ("missing MessageSid", signed_form(2, "papi", MessageSid=True), FORM, 400),
]
REFUSED_STATUS = [
    ("empty body, unsigned", b"", FORM, 403),
    ("1 MB body", MEGABYTE, FORM, 413),
    ("JSON instead of a form", b"{}", "application/json", 415),
]
# label, text sent, text stored
ANSWERED_SMS = [
    ("5,000 characters", LONG, LONG),
    ("only emoji", "🙂🙂🙏", "🙂🙂🙏"),
    ("right-to-left", "مرحبا أحتاج مساعدة", "مرحبا أحتاج مساعدة"),
    ("control characters", "pa\x00pi\x1b bel\x7flevue\n", "papi bellevue\n"),
    ("HTML", "<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("SQL", "'; DROP TABLE messages; --", "'; DROP TABLE messages; --"),
]
STATUS_IGNORED = [
    ("unknown message", {"MessageSid": "SMnone", "MessageStatus": "delivered"}),
    ("no fields", {}),
    ("unknown status", {"MessageSid": "SMnone", "MessageStatus": "teleported"}),
]


async def rows(p: Platforms) -> tuple[int, int]:
    """Messages and contacts stored."""
    async with p.client.app[RUNTIME].database.session() as session:
        messages = (await session.execute(select(func.count()).select_from(Message))).scalar()
        contacts = (await session.execute(select(func.count()).select_from(Contact))).scalar()
    return messages, contacts


async def post(p: Platforms, path: str, body: dict | bytes, content_type: str) -> int:
    """POST a form signed as Twilio would, or raw bytes as they are."""
    headers = {"Content-Type": content_type} if content_type else {}
    if isinstance(body, dict):
        headers["X-Twilio-Signature"] = signature(PUBLIC + path, body)
        response = await p.client.post(path, data=body, headers=headers)
    else:
        response = await p.client.post(path, data=body, headers=headers)
    return response.status


async def test_sms_webhooks_refuse_bad_requests_and_store_nothing(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway():
        for path, table in ((sms.INBOUND_PATH, REFUSED_SMS), (sms.STATUS_PATH, REFUSED_STATUS)):
            for label, body, content_type, expected in table:
                assert await post(p, path, body, content_type) == expected, label
                assert await rows(p) == (0, 0), label
        for label, form in STATUS_IGNORED:
            assert await post(p, sms.STATUS_PATH, form, FORM) == 204, label


async def test_a_chunked_body_over_the_limit_is_refused(tmp_path) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit applies on read
        for _ in range(100):
            yield b"x" * 10_000

    async with platforms(tmp_path) as p, p.gateway():
        headers = {"Content-Type": FORM, "X-Twilio-Signature": "x"}
        response = await p.client.post(sms.INBOUND_PATH, data=chunks(), headers=headers)
        assert response.status == 413
        assert await rows(p) == (0, 0)


async def test_odd_but_honest_sms_are_stored_and_answered_briefly(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway():
        for number, (label, text, stored) in enumerate(ANSWERED_SMS, start=10):
            form = signed_form(number, text)
            assert await post(p, sms.INBOUND_PATH, form, FORM) == 200, label
            await until(lambda form=form: any(m["To"] == form["From"] for m in p.twilio.sent))
            async with p.client.app[RUNTIME].database.session() as session:
                query = select(Message.text).where(Message.platform_id == form["MessageSid"])
                assert (await session.execute(query)).scalar_one() == stored, label
        assert all(segment_count(m["Body"]) <= 4 for m in p.twilio.sent)


def update_body(p: Platforms, kind: str) -> bytes:
    """Telegram updates, well-formed or not, as the bytes of the request."""
    fake, chat = p.telegram, 5151
    bodies: dict[str, object] = {
        "unknown update type": {"update_id": 90, "update_kind_of_2030": {"id": 1}},
        "edited message": fake.edited_update(chat, "papi"),
        "location off Earth": fake.location_update(chat, 123.0, -400.0),
    }
    return json.dumps(bodies[kind]).encode()


REFUSED_TELEGRAM = [
    ("empty body", b"", "application/json", 400),
    ("no content type", b'{"update_id": 1}', "", 415),
    ("form instead of JSON", b"update_id=1", "application/x-www-form-urlencoded", 415),
    ("1 MB body", b'{"a": "' + b"x" * 1_000_000 + b'"}', "application/json", 413),
    ("invalid UTF-8", b'{"update_id": 1, "x": "\xff\xfe"}', "application/json", 400),
    ("a list", b"[]", "application/json", 400),
    ("no update_id", b'{"message": {}}', "application/json", 400),
    ("message of the wrong shape", b'{"update_id": 2, "message": "hi"}', "application/json", 400),
    ("incomplete poll", b'{"update_id": 4, "poll": {"id": "1"}}', "application/json", 400),
    ("truncated JSON", b'{"update_id": 3, "mess', "application/json", 400),
]
IGNORED_TELEGRAM = ("unknown update type", "edited message", "location off Earth")


async def push(p: Platforms, body: bytes, content_type: str) -> int:
    headers = {telegram.SECRET_HEADER: WEBHOOK_SECRET}
    if content_type:
        headers["Content-Type"] = content_type
    response = await p.client.post(telegram.WEBHOOK_PATH, data=body, headers=headers)
    return response.status


async def test_telegram_webhook_refuses_bad_updates_and_ignores_unknown_ones(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway():
        for label, body, content_type, expected in REFUSED_TELEGRAM:
            assert await push(p, body, content_type) == expected, label
        for label in IGNORED_TELEGRAM:  # 200, or Telegram would retry them for a day
            assert await push(p, update_body(p, label), "application/json") == 200, label
        assert await rows(p) == (0, 0)


async def test_telegram_text_with_lone_surrogates_and_nul_is_stored_clean(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway():
        update = p.telegram.text_update(5252, "papi")
        raw = json.dumps(update).replace('"papi"', '"pa\\u0000pi \\ud800bellevue"').encode()
        assert await push(p, raw, "application/json") == 200
        await until(lambda: len(p.telegram.sent()) >= 1)
        async with p.client.app[RUNTIME].database.session() as session:
            query = select(Message.text).where(Message.direction == "in")
            assert (await session.execute(query)).scalar_one() == "papi bellevue"
