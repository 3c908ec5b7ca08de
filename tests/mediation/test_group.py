"""SMS resident → ticket posted in the fake Telegram group → a mediator's reply reaches the SMS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.gateway.server import create_app
from bot.store.db import Database
from bot.store.models import OutboxItem
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import FakeTwilio, inbound_form, post_signed
from tests.harness import (
    PUBLIC,
    WEBHOOK_SECRET,
    WEDNESDAY_MORNING,
    gateway_settings,
)

GROUP = -1001234567890
RESIDENT = "+33612345642"


async def until(found: Callable[[], object], seconds: float = 5.0) -> object:
    """Wait for the background worker to make `found()` true."""
    for _ in range(int(seconds / 0.05)):
        if value := found():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


@asynccontextmanager
async def gateway(
    tmp_path: Path, telegram: FakeTelegram, twilio: FakeTwilio
) -> AsyncIterator[TestClient]:
    """The whole gateway with SMS and Telegram channels, on one SQLite file per test."""
    async with telegram.serving() as telegram_url, twilio.serving() as twilio_url:
        settings = gateway_settings(
            f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            twilio_url,
            telegram_url,
            mediators_chat_id=GROUP,
        )
        app = create_app(settings, clock=lambda: WEDNESDAY_MORNING)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield client


async def sms(client: TestClient, sid: str, text: str) -> None:
    form = inbound_form(sid, text, RESIDENT)
    base = str(client.make_url("")).rstrip("/")
    response = await post_signed(client.session, base, "/twilio/sms", form, PUBLIC)
    assert response.status == 200


async def in_group(client: TestClient, telegram: FakeTelegram, text: str, reply_to: int) -> None:
    """A mediator writes in the group, replying to one of the bot's posts."""
    update = telegram.group_update(GROUP, text)
    update["message"]["from"] = {"id": 77, "is_bot": False, "first_name": "Yann"}
    chat = update["message"]["chat"]
    if reply_to:
        update["message"]["reply_to_message"] = {"message_id": reply_to, "date": 1, "chat": chat}
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    response = await client.post("/telegram/webhook", json=update, headers=headers)
    assert response.status == 200


def posts(telegram: FakeTelegram) -> list[dict]:
    return [m for m in telegram.sent() if int(m["chat_id"]) == GROUP]


async def first_post_id(tmp_path: Path) -> int:
    """The Telegram message id of the ticket's post, as the outbox recorded it."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}")
    try:
        async with database.session() as session:
            query = select(OutboxItem.platform_id).where(OutboxItem.channel == "telegram")
            return int((await session.execute(query.order_by(OutboxItem.id))).scalars().first())
    finally:
        await database.close()


async def test_group_reply_reaches_the_sms_resident_even_after_a_restart(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: any("Une personne" in m["Body"] for m in twilio.sent))
        post = await until(lambda: [p for p in posts(telegram) if "Nouveau ticket" in p["text"]])
        assert "+33 6 •• •• •• 42" in post[0]["text"] and RESIDENT not in post[0]["text"]
        await sms(client, "SM2", "c'est pour la CAF")
        await until(lambda: any("#1 Habitant" in p["text"] for p in posts(telegram)))
        await until(lambda: len(twilio.sent) == 2)  # the engine says it is passed on
        assert "transmis" in twilio.sent[1]["Body"]

    post_id = await first_post_id(tmp_path)
    async with gateway(tmp_path, telegram, twilio) as client:  # a restart: nothing in memory
        await in_group(client, telegram, "Bonjour, passez mardi a la mairie.", post_id)
        await until(lambda: any("passez mardi" in m["Body"] for m in twilio.sent))
        assert twilio.sent[-1]["To"] == RESIDENT and "Yann" in twilio.sent[-1]["Body"]
        await in_group(client, telegram, "/faq", post_id)
        await in_group(client, telegram, "/clore", post_id)
        await until(lambda: any("traitée par l'équipe" in m["Body"] for m in twilio.sent))
        await until(lambda: any("clos par Yann" in p["text"] for p in posts(telegram)))


async def test_messages_from_other_chats_cannot_act(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: posts(telegram))
        post_id = await first_post_id(tmp_path)
        update = telegram.group_update(-100999, "/clore")
        update["message"]["reply_to_message"] = {
            "message_id": post_id,
            "date": 1,
            "chat": update["message"]["chat"],
        }
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        assert (await client.post("/telegram/webhook", json=update, headers=headers)).status == 200
        await in_group(client, telegram, "/tickets", 0)
        listing = await until(
            lambda: [p for p in posts(telegram) if "Tickets ouverts" in p["text"]]
        )
        assert "#1 ouvert" in listing[0]["text"]
        assert len(twilio.sent) == 1


POISON = [
    ("a number too big for the database", "/prendre 99999999999999999999"),
    ("a phone number as ticket number", "/prendre 33612345678"),
    ("a phone number pasted", "Rappelez-la au 33612345678"),
    ("a negative ticket number", "/clore -1"),
]


async def test_poisoned_group_messages_are_acknowledged(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: posts(telegram))
        for label, text in POISON:
            update = telegram.group_update(GROUP, text)
            headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            response = await client.post("/telegram/webhook", json=update, headers=headers)
            assert response.status == 200, label
        unknown = await until(lambda: [p for p in posts(telegram) if "introuvable" in p["text"]])
        assert "99999999999999999999" not in unknown[0]["text"]
        await in_group(client, telegram, "/tickets", 0)
        await until(lambda: [p for p in posts(telegram) if "Tickets ouverts" in p["text"]])
        assert len(twilio.sent) == 1


async def test_an_answer_too_long_is_refused_with_a_message_to_the_mediator(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: posts(telegram) and twilio.sent)
        post_id = await first_post_id(tmp_path)
        await in_group(client, telegram, "x" * 4090, post_id)
        refused = await until(lambda: [p for p in posts(telegram) if "trop longue" in p["text"]])
        assert "4090" in refused[0]["text"].replace("\u202f", "").replace(" ", "")
        await in_group(client, telegram, "Passez mardi.", post_id)  # a short one still goes
        await until(lambda: any("Passez mardi" in m["Body"] for m in twilio.sent))
        assert not any("xxxx" in m["Body"] for m in twilio.sent)


async def test_a_photo_on_an_open_ticket_is_posted_as_an_inbox_link(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: posts(telegram))
        picture = twilio.add_media("MM2", "image/jpeg", b"\xff\xd8")
        form = inbound_form("SM2", "", RESIDENT, NumMedia="1", MediaUrl0=picture)
        form["MediaContentType0"] = "image/jpeg"
        base = str(client.make_url("")).rstrip("/")
        assert (await post_signed(client.session, base, "/twilio/sms", form, PUBLIC)).status == 200
        post = await until(lambda: [p for p in posts(telegram) if "[photo" in p["text"]])
        assert f"[photo : {PUBLIC}/inbox/media/" in post[0]["text"]
        assert picture not in post[0]["text"]  # the platform's link stays ours


SUPERGROUP = -1009876543210


def posts_to(telegram: FakeTelegram, chat: int) -> list[dict]:
    return [m for m in telegram.sent() if int(m["chat_id"]) == chat]


async def test_a_group_upgraded_to_a_supergroup_is_followed_and_remembered(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    telegram.migrate(GROUP, SUPERGROUP)  # 400 + parameters.migrate_to_chat_id
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        post = await until(lambda: posts_to(telegram, SUPERGROUP))
        assert "Nouveau ticket" in post[0]["text"]
        await sms(client, "SM2", "c'est pour la CAF")
        await until(lambda: any("#1 Habitant" in p["text"] for p in posts_to(telegram, SUPERGROUP)))
        tried_old = [
            c for c in telegram.calls if c[0] == "sendMessage" and c[1]["chat_id"] == str(GROUP)
        ]
        assert len(tried_old) == 1  # refused once; later posts went to the new id directly

    post_id = await first_post_id(tmp_path)
    async with gateway(tmp_path, telegram, twilio) as client:  # a restart: read from the database
        update = telegram.group_update(SUPERGROUP, "Bonjour, passez mardi.")
        message = update["message"]
        message["from"] = {"id": 77, "is_bot": False, "first_name": "Yann"}
        message["reply_to_message"] = {"message_id": post_id, "date": 1, "chat": message["chat"]}
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        assert (await client.post("/telegram/webhook", json=update, headers=headers)).status == 200
        await until(lambda: any("passez mardi" in m["Body"] for m in twilio.sent))
        await in_group_chat(client, telegram, SUPERGROUP, "/tickets")
        await until(
            lambda: any("Tickets ouverts" in p["text"] for p in posts_to(telegram, SUPERGROUP))
        )
        tried_old = [
            c for c in telegram.calls if c[0] == "sendMessage" and c[1]["chat_id"] == str(GROUP)
        ]
        assert len(tried_old) == 1


async def test_the_service_message_of_an_upgrade_moves_the_group(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        service = telegram.group_update(GROUP, "")
        del service["message"]["text"]
        service["message"]["migrate_to_chat_id"] = SUPERGROUP
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        assert (await client.post("/telegram/webhook", json=service, headers=headers)).status == 200
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: posts_to(telegram, SUPERGROUP))
        assert not [
            c for c in telegram.calls if c[0] == "sendMessage" and c[1]["chat_id"] == str(GROUP)
        ]


async def in_group_chat(client: TestClient, telegram: FakeTelegram, chat: int, text: str) -> None:
    update = telegram.group_update(chat, text)
    update["message"]["from"] = {"id": 77, "is_bot": False, "first_name": "Yann"}
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    assert (await client.post("/telegram/webhook", json=update, headers=headers)).status == 200


async def post_update(client: TestClient, update: dict) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    assert (await client.post("/telegram/webhook", json=update, headers=headers)).status == 200


async def test_a_command_typed_in_a_forum_topic_reaches_its_ticket(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: posts(telegram))
        update = telegram.topic_update(GROUP, "/prendre 1", thread_id=3)
        update["message"]["from"] = {"id": 77, "is_bot": False, "first_name": "Yann"}
        await post_update(client, update)
        await until(lambda: any("pris en charge par Yann" in p["text"] for p in posts(telegram)))


async def test_an_anonymous_admins_answer_reaches_the_resident(tmp_path):
    telegram, twilio = FakeTelegram(), FakeTwilio()
    async with gateway(tmp_path, telegram, twilio) as client:
        await sms(client, "SM1", "je voudrais parler a quelqu'un")
        await until(lambda: posts(telegram) and twilio.sent)
        post_id = await first_post_id(tmp_path)
        for text, signature in (("Passez mardi.", "Yann"), ("Ou jeudi.", None)):
            update = telegram.anonymous_update(GROUP, text, signature)
            chat = update["message"]["chat"]
            update["message"]["reply_to_message"] = {"message_id": post_id, "date": 1, "chat": chat}
            await post_update(client, update)
        answer = await until(lambda: [m for m in twilio.sent if "Passez mardi" in m["Body"]])
        assert "Yann" in answer[0]["Body"] and "GroupAnonymousBot" not in answer[0]["Body"]
        other = await until(lambda: [m for m in twilio.sent if "Ou jeudi" in m["Body"]])
        assert "Group" not in other[0]["Body"].split("--")[-1]
