"""Whole conversations for privacy tests: SMS and Telegram residents, a hand-off answered
from the mediators' group and from the web inbox, one Twilio error quoting the number."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.gateway.server import RUNTIME, create_app
from bot.inbox.auth import hash_password
from bot.mediation.store import MediationRepository
from bot.store.models import GroupPost, OutboxItem
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import FROM_NUMBER, FakeTwilio, post_signed
from tests.faults.postgres import free_port
from tests.harness import (
    PUBLIC,
    WEBHOOK_SECRET,
    WEDNESDAY_MORNING,
    gateway_settings,
)
from tests.inbox.gateway import CSRF, PASSWORD

GROUP = -1001234567890
SMS_RESIDENT = "+33612345642"
OTHER_RESIDENT = "+33698765413"
TELEGRAM_RESIDENT = 987654321
SECRETS = (SMS_RESIDENT, OTHER_RESIDENT, str(TELEGRAM_RESIDENT), str(GROUP))


def clear_forms(value: str) -> list[str]:
    """How an address could appear in clear: as given, and without its `+` or `-`."""
    return [value, value.lstrip("+-")]


async def until(found: Callable[[], object], seconds: float = 15.0) -> object:
    for _ in range(int(seconds / 0.05)):
        if value := found():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def whole_conversations(database_url: str, folder: Path) -> list[str]:
    """Run every kind of conversation through the real app; returns the inbox pages seen."""
    twilio, telegram = FakeTwilio(), FakeTelegram()
    async with twilio.serving() as twilio_url, telegram.serving() as telegram_url:
        settings = gateway_settings(database_url, twilio_url, telegram_url, mediators_chat_id=GROUP)
        app, port = create_app(settings, clock=lambda: WEDNESDAY_MORNING), free_port()
        # The inbox's cookies are Secure (PUBLIC_BASE_URL is https): trust our loopback.
        jar = CookieJar(unsafe=True, treat_as_secure_origin=[f"http://127.0.0.1:{port}"])
        server = TestServer(app, host="127.0.0.1", port=port)
        async with TestClient(server, cookie_jar=jar) as client:
            talk = Talk(client, twilio, telegram)
            return await talk.everything()


class Talk:
    """The residents, a mediator in the group, and a mediator in the web inbox."""

    def __init__(self, client: TestClient, twilio: FakeTwilio, telegram: FakeTelegram) -> None:
        self.client, self.twilio, self.telegram = client, twilio, telegram
        self.runtime = client.app[RUNTIME]

    async def everything(self) -> list[str]:
        message = f"The 'To' number {OTHER_RESIDENT} is not a valid phone number."
        self.twilio.fail_next(1, status=400, code=21211, message=message)
        await self.sms(OTHER_RESIDENT, "SMo1", "bonjour")
        await until(lambda: self.twilio.requests == 1)
        await self.sms(SMS_RESIDENT, "SM1", "bonjour")
        await self.sms(SMS_RESIDENT, "SM2", "je voudrais parler a quelqu'un")
        await until(lambda: len(self.posts("Nouveau ticket")) == 1)
        await self.update(self.telegram.text_update(TELEGRAM_RESIDENT, "/start"))
        await self.update(self.telegram.text_update(TELEGRAM_RESIDENT, "parler a quelqu'un"))
        await until(lambda: len(self.posts("Nouveau ticket")) == 2)
        post = await self.ticket_post(1)
        await self.in_group("Bonjour, passez mardi a la mairie.", post)
        await until(lambda: any("passez mardi" in m["Body"] for m in self.twilio.sent))
        await self.in_group("/faq", post)
        await until(lambda: self.posts("proposée pour la FAQ"))
        return await self.inbox_reply(2, "Bonjour, je vous appelle demain.")

    async def sms(self, who: str, sid: str, text: str) -> None:
        form = {"MessageSid": sid, "From": who, "To": FROM_NUMBER, "Body": text}
        base = str(self.client.make_url("")).rstrip("/")
        response = await post_signed(self.client.session, base, "/twilio/sms", form, PUBLIC)
        assert response.status == 200

    async def update(self, update: dict) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        response = await self.client.post("/telegram/webhook", json=update, headers=headers)
        assert response.status == 200

    def posts(self, containing: str) -> list[dict]:
        sent = self.telegram.sent()
        return [m for m in sent if int(m["chat_id"]) == GROUP and containing in m["text"]]

    async def ticket_post(self, ticket_id: int) -> int:
        """The Telegram message id of a ticket's post, once the outbox sent it."""

        async def lookup() -> str | None:
            async with self.runtime.database.session() as session:
                query = (
                    select(OutboxItem.platform_id)
                    .join(GroupPost, GroupPost.outbox_id == OutboxItem.id)
                    .where(GroupPost.ticket_id == ticket_id, GroupPost.kind == "ticket")
                )
                return (await session.execute(query)).scalars().first()

        for _ in range(300):
            if found := await lookup():
                return int(found)
            await asyncio.sleep(0.05)
        raise AssertionError("the ticket was never posted")

    async def in_group(self, text: str, reply_to: int) -> None:
        update = self.telegram.group_update(GROUP, text)
        update["message"]["from"] = {"id": 77, "is_bot": False, "first_name": "Yann"}
        chat = update["message"]["chat"]
        update["message"]["reply_to_message"] = {"message_id": reply_to, "date": 1, "chat": chat}
        await self.update(update)

    async def inbox_reply(self, ticket_id: int, text: str) -> list[str]:
        """Log in as a mediator, answer a ticket; returns the pages seen on the way."""
        async with self.runtime.database.session() as session:
            repo = MediationRepository(session, self.runtime.cipher)
            await repo.add_mediator("Anne", hash_password(PASSWORD), WEDNESDAY_MORNING)
            await session.commit()
        page = await (await self.client.get("/inbox/login")).text()
        form = {"csrf": CSRF.search(page).group(1), "name": "Anne", "password": PASSWORD}
        assert (await self.client.post("/inbox/login", data=form)).status == 200
        listing = await (await self.client.get("/inbox/?view=all")).text()
        ticket = await (await self.client.get(f"/inbox/tickets/{ticket_id}")).text()
        form = {"csrf": CSRF.search(ticket).group(1), "text": text}
        answered = await self.client.post(f"/inbox/tickets/{ticket_id}/reply", data=form)
        assert answered.status == 200
        await until(lambda: any("appelle demain" in m["text"] for m in self.telegram.sent()))
        return [listing, ticket, await answered.text()]
