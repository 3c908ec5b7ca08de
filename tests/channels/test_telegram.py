"""The Telegram channel: the real python-telegram-bot against a fake Bot API on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import telegram, telegram_bot
from bot.config import Settings
from bot.delivery import DeliveryError
from bot.messages import Address, Choice, InboundMessage, Location, Reply, Venue, reply_to_dict
from bot.metrics import REGISTRY
from tests.channels.recording import NOW, RecordingRuntime
from tests.conftest import SECRET
from tests.fake_telegram import MEDIA, TOKEN, FakeTelegram
from tests.harness import PUBLIC, WEBHOOK_SECRET

CHAT = 4242


@dataclass
class Gateway:
    client: TestClient
    runtime: RecordingRuntime
    sender: telegram_bot.TelegramSender
    telegram: FakeTelegram

    async def push(self, update: dict, secret: str = WEBHOOK_SECRET):  # noqa: ANN201
        headers = {telegram.SECRET_HEADER: secret}
        return await self.client.post(telegram.WEBHOOK_PATH, json=update, headers=headers)


@asynccontextmanager
async def telegram_gateway(database, public: str | None = PUBLIC) -> AsyncIterator[Gateway]:  # noqa: ANN001
    """The Telegram channel alone, on a recording runtime, against a fake Bot API."""
    fake = FakeTelegram()
    async with fake.serving() as api:
        settings = Settings(
            secret_key=SECRET,
            public_base_url=public,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api,
            telegram_webhook_secret=WEBHOOK_SECRET,
        )
        runtime = RecordingRuntime(settings, database)
        app = web.Application()
        telegram.mount(app)
        async with (
            telegram.running(app, settings, runtime) as sender,
            TestClient(TestServer(app)) as client,
        ):
            yield Gateway(client, runtime, sender, fake)


def resident(text: str = "", language: str = "fr", **kw) -> InboundMessage:  # noqa: ANN003
    return InboundMessage(Address("telegram", str(CHAT)), text, "", NOW, language=language, **kw)


INBOUND = [
    ("text", lambda t: t.text_update(CHAT, "papi bellevue"), resident("papi bellevue")),
    ("/start opens the menu", lambda t: t.text_update(CHAT, "/start"), resident(choice="greeting")),
    (
        "shared location",
        lambda t: t.location_update(CHAT, 48.39, -4.49),
        resident(location=Location(48.39, -4.49)),
    ),
    (
        "button pressed",
        lambda t: t.callback_update(CHAT, "find_place", "Un lieu"),
        resident("Un lieu", choice="find_place"),
    ),
    ("language hint", lambda t: t.text_update(CHAT, "hello", "en-GB"), resident("hello", "en")),
    ("edited message ignored", lambda t: t.edited_update(CHAT, "papi"), None),
    *[
        (
            f"{kind} without text",
            lambda t, kind=kind: t.media_update(CHAT, kind),
            resident(media=(shown,), media_refs=(ref,)),
        )
        for kind, shown, ref in (
            ("voice", "voice", MEDIA["voice"]["file_id"]),
            ("audio", "audio", MEDIA["audio"]["file_id"]),
            ("document", "document", MEDIA["document"]["file_id"]),
            ("photo", "photo", MEDIA["photo"][-1]["file_id"]),  # the largest size
            ("sticker", "sticker", MEDIA["sticker"]["file_id"]),
            ("video", "video", MEDIA["video"]["file_id"]),
            ("contact", "contact", ""),  # a third party's number: not kept
        )
    ],
    (
        "photo with a caption",
        lambda t: t.media_update(CHAT, "photo", caption="mon avis"),
        resident("mon avis", media=("photo",), media_refs=(MEDIA["photo"][-1]["file_id"],)),
    ),
    ("group message ignored", lambda t: t.group_update(-100123, "papi"), None),
]


@pytest.mark.parametrize(
    ("build", "expected"), [c[1:] for c in INBOUND], ids=[c[0] for c in INBOUND]
)
async def test_webhook_update(sqlite_database, build, expected) -> None:
    async with telegram_gateway(sqlite_database) as gateway:
        update = build(gateway.telegram)
        response = await gateway.push(update)
        assert response.status == 200
        received = gateway.runtime.received
        if expected is None:
            assert received == []
            return
        platform_id = str(update["update_id"])
        assert received == [InboundMessage(**{**expected.__dict__, "platform_id": platform_id})]
        answered = [p for m, p in gateway.telegram.calls if m == "answerCallbackQuery"]
        assert len(answered) == ("callback_query" in update)


async def test_webhook_registered_with_its_secret(sqlite_database) -> None:
    async with telegram_gateway(sqlite_database) as gateway:
        webhook = gateway.telegram.webhook
        assert webhook["url"] == PUBLIC + telegram.WEBHOOK_PATH
        assert webhook["secret_token"] == WEBHOOK_SECRET
        assert webhook["allowed_updates"] == list(telegram_bot.ALLOWED_UPDATES)


async def test_wrong_or_missing_secret_token_is_refused(sqlite_database) -> None:
    async with telegram_gateway(sqlite_database) as gateway:
        update = gateway.telegram.text_update(CHAT, "bonjour")
        assert (await gateway.push(update, secret="guess")).status == 403
        response = await gateway.client.post(telegram.WEBHOOK_PATH, json=update)
        assert response.status == 403
        assert gateway.runtime.received == []


async def test_update_delivered_twice_is_stored_once(sqlite_database) -> None:
    async with telegram_gateway(sqlite_database) as gateway:
        update = gateway.telegram.text_update(CHAT, "bonjour")
        statuses = [(await gateway.push(update)).status for _ in range(3)]
        assert statuses == [200, 200, 200]
        assert len(gateway.runtime.received) == 1


async def test_polling_mode_stores_updates_and_confirms_them(sqlite_database) -> None:
    async with telegram_gateway(sqlite_database, public=None) as gateway:
        fake = gateway.telegram
        assert fake.webhook == {}
        fake.push(fake.text_update(CHAT, "bonjour"))
        fake.push(fake.location_update(CHAT, 48.39, -4.49))
        for _ in range(100):
            if len(gateway.runtime.received) == 2:
                break
            await asyncio.sleep(0.02)
        assert [m.text for m in gateway.runtime.received] == ["bonjour", ""]
        assert (await gateway.push(fake.text_update(CHAT, "x"))).status == 403  # no webhook


MENU = Reply("Que cherchez-vous ? <PAPI> & co", choices=(Choice("Un lieu", "find_place"),))
VENUE = Venue("Médiathèque de Bellevue", "2 place Napoléon III, Brest", 48.4, -4.5)
OUTBOUND = [
    (
        "choices become buttons, text escaped",
        MENU,
        {"text": "Que cherchez-vous ? &lt;PAPI&gt; &amp; co", "parse_mode": "HTML"},
        {"inline_keyboard": [[{"text": "Un lieu", "callback_data": "find_place"}]]},
    ),
    (
        "asking the location: a location button, choices numbered",
        Reply(
            "Où êtes-vous ?",
            choices=(Choice("Bellevue", "b"),),
            location_button="📍 Envoyer ma position",
        ),
        {"text": "Où êtes-vous ?\n1. Bellevue"},
        {
            "keyboard": [[{"text": "📍 Envoyer ma position", "request_location": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        },
    ),
    ("a place is pinned", Reply("Ouvert", venue=VENUE), {"text": "Ouvert"}, None),
]


@pytest.mark.parametrize(
    ("reply", "message", "markup"), [c[1:] for c in OUTBOUND], ids=[c[0] for c in OUTBOUND]
)
async def test_sender(sqlite_database, reply, message, markup) -> None:
    async with telegram_gateway(sqlite_database) as gateway:
        message_id = await gateway.sender.send(Address("telegram", str(CHAT)), reply_to_dict(reply))
        [sent] = gateway.telegram.sent("sendMessage")
        assert message_id is not None
        assert sent["chat_id"] == str(CHAT)
        assert {k: sent[k] for k in message} == message
        assert sent.get("reply_markup") == markup
        venues = gateway.telegram.sent("sendVenue")
        assert [(v["title"], v["address"]) for v in venues] == (
            [(VENUE.name, VENUE.address)] if reply.venue else []
        )


FAILURES = [
    ("bot blocked", 403, None, {"opted_out": True}),
    ("chat not found", 400, None, {"permanent": True, "opted_out": False}),
    (
        "message too long",
        (400, "Bad Request: message is too long"),
        None,
        {"permanent": True, "opted_out": False},
    ),
    (
        "user deactivated",
        (403, "Forbidden: user is deactivated"),
        None,
        {"opted_out": True},
    ),
    ("flood control", 429, 3, {"retry_after": 3.0, "opted_out": False}),
    ("Telegram down", 500, None, {"permanent": False, "opted_out": False, "retry_after": None}),
]


@pytest.mark.parametrize(
    ("status", "retry_after", "error"), [c[1:] for c in FAILURES], ids=[c[0] for c in FAILURES]
)
async def test_sender_failures(sqlite_database, status, retry_after, error) -> None:
    async with telegram_gateway(sqlite_database) as gateway:
        status, description = status if isinstance(status, tuple) else (status, None)
        gateway.telegram.fail_next(1, status, retry_after, description)
        with pytest.raises(DeliveryError) as raised:
            await gateway.sender.send(Address("telegram", str(CHAT)), reply_to_dict(MENU))
        assert {k: getattr(raised.value, k) for k in error} == error


class Failing(RecordingRuntime):
    """A runtime whose `receive` fails on given texts: with bad data, or the database down."""

    errors: dict[str, Exception]

    async def receive(self, inbound: InboundMessage) -> bool:
        error = self.errors.get(inbound.text)
        if error is not None:
            raise error
        return await super().receive(inbound)


def unusable(reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "aiguillage_unusable_updates_total", {"channel": "telegram", "reason": reason}
        )
        or 0.0
    )


async def test_unusable_update_is_acknowledged_and_counted_in_both_modes(sqlite_database) -> None:
    for public in (PUBLIC, None):  # webhook, then polling
        async with telegram_gateway(sqlite_database, public=public) as gateway:
            runtime = gateway.runtime
            runtime.__class__ = Failing
            runtime.errors = {"poison": OverflowError("int too large"), "down": OSError("down")}
            before = unusable("OverflowError")
            fake = gateway.telegram
            if public:
                assert (await gateway.push(fake.text_update(CHAT, "poison"))).status == 200
                assert (await gateway.push(fake.text_update(CHAT, "down"))).status == 500
                assert (await gateway.push(fake.text_update(CHAT, "after"))).status == 200
            else:
                fake.push(fake.text_update(CHAT, "poison"))
                fake.push(fake.text_update(CHAT, "after"))
                for _ in range(100):
                    if runtime.received:
                        break
                    await asyncio.sleep(0.02)
            assert [m.text for m in runtime.received] == ["after"]
            assert unusable("OverflowError") == before + 1


async def test_polling_waits_out_a_database_outage_without_skipping(sqlite_database) -> None:
    async with telegram_gateway(sqlite_database, public=None) as gateway:
        runtime = gateway.runtime
        runtime.__class__ = Failing
        runtime.errors = {"bonjour": OSError("database down")}
        fake = gateway.telegram
        fake.push(fake.text_update(CHAT, "bonjour"))
        await asyncio.sleep(0.2)
        assert runtime.received == []
        runtime.errors = {}  # the database is back: the same update is stored, not lost
        for _ in range(400):
            if runtime.received:
                break
            await asyncio.sleep(0.02)
        assert [m.text for m in runtime.received] == ["bonjour"]
