"""Whole conversations through the real engine and storage (errbot's testbot, in spirit):

replies = await bot.say("+33600000001", "papi bellevue")
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.content import load_content
from bot.conversation.engine import Engine
from bot.crypto import AddressCipher
from bot.gateway.outbox import OutboxWorker
from bot.messages import Address, InboundMessage, Location, Reply, reply_from_dict
from bot.store.db import Database
from tests.fake_telegram import TOKEN
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
# A Wednesday morning in Brest (09:00 UTC = 10:00 Europe/Paris): places are open.
WEDNESDAY_MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHANNELS = ("sms", "telegram", "console")
PUBLIC = "https://aiguillage.example.org"
WEBHOOK_SECRET = "webhook-secret_0123"


def gateway_settings(
    database_url: str, twilio_url: str, telegram_url: str, **extra: object
) -> Settings:
    """A whole gateway's settings (SMS and Telegram on), talking to fakes on loopback."""
    return Settings(
        secret_key=SECRET,
        database_url=database_url,
        content_dir=CONTENT_DIR,
        public_base_url=PUBLIC,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base_url=twilio_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram_url,
        telegram_webhook_secret=WEBHOOK_SECRET,
        **extra,
    )


class CapturingSender:
    """Records what would be sent, per address."""

    def __init__(self, channel: str, sent: list[tuple[Address, Reply]]) -> None:
        self.channel = channel
        self.sent = sent

    async def send(self, address: Address, payload: dict) -> str | None:
        self.sent.append((address, reply_from_dict(payload)))
        return f"{self.channel}-{len(self.sent)}"


class ConversationBot:
    """Talk to the real engine as residents; read back the replies they would receive."""

    def __init__(self, database: Database, content=None, now: datetime = WEDNESDAY_MORNING):
        self.now = now
        self.database = database
        self.cipher = AddressCipher(SECRET)
        self.engine = Engine(
            database, self.cipher, content or load_content(CONTENT_DIR), clock=lambda: self.now
        )
        self.sent: list[tuple[Address, Reply]] = []
        senders = {c: CapturingSender(c, self.sent) for c in CHANNELS}
        self.worker = OutboxWorker(database, self.cipher, senders, clock=lambda: self.now)

    async def say(
        self,
        who: str,
        text: str = "",
        channel: str = "sms",
        location: tuple[float, float] | None = None,
        choice: str | None = None,
    ) -> list[Reply]:
        """Send one message and return the replies this person received for it."""
        address = Address(channel, who)
        inbound = InboundMessage(
            address,
            text,
            uuid.uuid4().hex,
            self.now,
            location=Location(*location) if location else None,
            choice=choice,
        )
        before = len(self.sent)
        await self.engine.handle(inbound)
        await self.flush()
        return [reply for to, reply in self.sent[before:] if to == address]

    async def flush(self) -> None:
        """Send everything due in the outbox."""
        while await self.worker.send_due():
            pass
