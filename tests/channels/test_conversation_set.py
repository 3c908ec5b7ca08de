"""The development conversation set through the real channels: signed Twilio webhooks and
Telegram updates into `create_app`, replies captured by the fake Twilio and Telegram APIs,
mediators answering in the fake group; judged by the same checks as the runner."""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.channels import telegram, telegram_bot
from bot.conversations.checks import Checker, TurnRecord
from bot.conversations.script import Conversation, Step, load_conversations
from bot.delivery import Pace
from bot.gateway.server import RUNTIME, create_app
from bot.messages import Choice, Reply
from bot.store.models import GroupPost, OutboxItem
from tests.conversations.conftest import CONTENT
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import FROM_NUMBER, FakeTwilio, post_signed
from tests.harness import PUBLIC, WEBHOOK_SECRET, WEDNESDAY_MORNING, gateway_settings

DEV_SET = Path(__file__).resolve().parent.parent / "data" / "conversations" / "dev.jsonl"
RESIDENT, CHAT, GROUP = "+33612345678", 424242, -1001000000001
CHECKER = Checker.of(CONTENT)


class Gateway:
    """One conversation's gateway, its fakes, and what each turn made leave."""

    def __init__(self, client: TestClient, twilio: FakeTwilio, fake: FakeTelegram) -> None:
        self.client, self.twilio, self.telegram = client, twilio, fake
        self.runtime = client.app[RUNTIME]

    async def play(self, conversation: Conversation, clock: list) -> list[TurnRecord]:
        records = []
        for step in conversation.steps:
            clock[0] += timedelta(minutes=2)
            sms, messages = len(self.twilio.sent), len(self.telegram.sent())
            await self.act(conversation.channel, step)
            await self.settle()
            replies = [Reply(m["Body"]) for m in self.twilio.sent[sms:] if m["To"] == RESIDENT]
            sent = self.telegram.sent()[messages:]
            replies += [_reply(m) for m in sent if int(m["chat_id"]) == CHAT]
            posts = tuple(html.unescape(m["text"]) for m in sent if int(m["chat_id"]) == GROUP)
            records.append(
                TurnRecord(conversation.channel, step.action, step.value, tuple(replies), posts)
            )
        return records

    async def act(self, channel: str, step: Step) -> None:
        if step.action == "say" and channel == "sms":
            form = {"MessageSid": f"SM{id(step):032x}", "From": RESIDENT, "To": FROM_NUMBER,
                    "Body": step.value, "NumMedia": "0", "NumSegments": "1"}  # fmt: skip
            base = str(self.client.make_url("")).rstrip("/")
            response = await post_signed(self.client.session, base, "/twilio/sms", form, PUBLIC)
            assert response.status == 200
            return
        if step.action == "say":
            update = self.telegram.text_update(CHAT, step.value)
        elif step.action == "location":
            update = self.telegram.location_update(CHAT, *step.value)
        else:
            update = self.telegram.group_update(GROUP, step.value)
            update["message"]["from"] = {"id": 77, "is_bot": False, "first_name": "Morgane"}
            chat = update["message"]["chat"]
            replied = {"message_id": await self.last_post_id(), "date": 1, "chat": chat}
            update["message"]["reply_to_message"] = replied
        headers = {telegram.SECRET_HEADER: WEBHOOK_SECRET}
        response = await self.client.post(telegram.WEBHOOK_PATH, json=update, headers=headers)
        assert response.status == 200

    async def last_post_id(self) -> int:
        query = (
            select(OutboxItem.platform_id)
            .join(GroupPost, GroupPost.outbox_id == OutboxItem.id)
            .where(OutboxItem.platform_id.is_not(None))
            .order_by(GroupPost.id.desc())
        )
        async with self.runtime.database.session() as session:
            return int((await session.execute(query)).scalars().first())

    async def settle(self) -> None:
        """Wait until the turn ran and the outbox holds nothing more to send."""
        waiting = select(func.count()).where(OutboxItem.status.in_(("pending", "sending")))
        for _ in range(500):
            await self.runtime.intake.drain()
            while await self.runtime.worker.send_due():
                pass
            async with self.runtime.database.session() as session:
                left = (await session.execute(waiting)).scalar_one()
            if not left and not self.runtime.intake.tasks:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the gateway did not settle")


def _reply(message: dict) -> Reply:
    """A Telegram message as the resident saw it: its text and its buttons."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    choices = tuple(Choice(b["text"], b.get("callback_data", "")) for row in rows for b in row)
    return Reply(html.unescape(message["text"]), choices=choices)


async def test_the_development_set_through_the_real_channels(tmp_path: Path, monkeypatch) -> None:
    # Telegram's real pacing (1 s per chat) is the outbox's business, tested elsewhere.
    monkeypatch.setattr(telegram_bot.TelegramSender, "pace", Pace(0.0, 0.0))
    passed, failures = 0, []
    conversations = load_conversations(DEV_SET)
    for index, conversation in enumerate(conversations):
        clock = [WEDNESDAY_MORNING]
        twilio, fake = FakeTwilio(), FakeTelegram()
        async with twilio.serving() as twilio_url, fake.serving() as telegram_url:
            database = f"sqlite+aiosqlite:///{tmp_path / f'c{index}.db'}"
            settings = gateway_settings(database, twilio_url, telegram_url, mediators_chat_id=GROUP)
            app = create_app(settings, clock=lambda clock=clock: clock[0])
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                records = await Gateway(client, twilio, fake).play(conversation, clock)
        failed = [
            f"{conversation.id} turn {n}: {keys}"
            for n, (step, record) in enumerate(zip(conversation.steps, records, strict=True), 1)
            if (keys := CHECKER.failures(record, step.expect))
        ]
        passed += not failed
        failures += failed
    assert passed / len(conversations) >= 0.95, "\n".join(failures)
