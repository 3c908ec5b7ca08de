"""Plays a conversation through the gateway's own path, recording what leaves.

Each conversation starts on a fresh copy of a migrated SQLite database, with the real
engine, the real outbox and the mediators' group (`bot.mediation.group`). The SMS and
Telegram senders record the replies instead of calling the platforms; a mediator's reply
is a message of the group answering the latest post about the resident's ticket.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.content import Content
from bot.conversations.checks import TurnRecord
from bot.conversations.script import Conversation, Step
from bot.gateway.runtime import Runtime, start_runtime
from bot.mediation.group import MediatorsGroup, handle_group_message
from bot.messages import Address, GroupMessage, InboundMessage, Location, Reply, reply_from_dict
from bot.store.db import Database

GROUP_CHAT_ID = -1001000000001
RESIDENTS = {"sms": "+33612345678", "telegram": "424242"}
MEDIATOR = "Morgane"
TURN_GAP = timedelta(minutes=2)
# A Wednesday at 10:00 in Brest: places and mediators are open, as on most residents' days.
DEFAULT_START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class RecordingSender:
    """A channel's sender that keeps what would leave, with a platform-like message id."""

    def __init__(self, channel: str, outbox: list[tuple[Address, Reply, str]]) -> None:
        self.channel = channel
        self.outbox = outbox

    async def send(self, address: Address, payload: dict[str, Any]) -> str | None:
        platform_id = f"{self.channel}-{len(self.outbox) + 1}"
        self.outbox.append((address, reply_from_dict(payload), platform_id))
        return platform_id


class Player:
    """Plays conversations against one content base, each on a fresh database."""

    def __init__(self, settings: Settings, content: Content, template: Path) -> None:
        self.settings = settings
        self.content = content
        self.template = template

    async def play(
        self, conversation: Conversation, start: datetime = DEFAULT_START
    ) -> list[TurnRecord]:
        """The record of each turn of `conversation`."""
        with tempfile.TemporaryDirectory(prefix="aiguillage-conv-") as folder:
            database = Path(folder) / "conversation.db"
            shutil.copyfile(self.template, database)
            settings = dataclasses.replace(
                self.settings,
                database_url=f"sqlite+aiosqlite:///{database}",
                mediators_chat_id=GROUP_CHAT_ID,
            )
            session = Session(settings, conversation.channel, start)
            await session.start(self.content)
            try:
                return [await session.turn(step) for step in conversation.steps]
            finally:
                await session.runtime.database.close()


class Session:
    """One resident's conversation with a running gateway."""

    def __init__(self, settings: Settings, channel: str, start: datetime) -> None:
        self.settings = settings
        self.now = start
        self.address = Address(channel, RESIDENTS[channel])
        self.sent: list[tuple[Address, Reply, str]] = []
        self.group = MediatorsGroup(GROUP_CHAT_ID, timedelta(minutes=120))

    async def start(self, content: Content) -> None:
        senders = {c: RecordingSender(c, self.sent) for c in RESIDENTS}
        self.runtime: Runtime = await start_runtime(
            self.settings, senders, clock=lambda: self.now, notifier=self.group, content=content
        )

    async def turn(self, step: Step) -> TurnRecord:
        """Play one step; what the resident and the group received during it."""
        if step.action == "mediator_reply":
            return await self._recorded(step, self._mediator_replies(step.value))
        text, location = (step.value, None) if step.action == "say" else ("", step.value)
        inbound = InboundMessage(
            self.address,
            text,
            uuid.uuid4().hex,
            self.now + TURN_GAP,
            location=Location(*location) if location else None,
        )
        return await self._recorded(step, self.resident_writes(inbound))

    async def _recorded(self, step: Step, action: Awaitable[None]) -> TurnRecord:
        """Run `action` a turn later, send what it queued, and record what left."""
        self.now += TURN_GAP
        before = len(self.sent)
        await action
        await self._flush()
        new = self.sent[before:]
        replies = tuple(reply for to, reply, _ in new if to == self.address)
        posts = tuple(reply.text for to, reply, _ in new if to == self._group_address)
        return TurnRecord(self.address.channel, step.action, step.value, replies, posts)

    @property
    def _group_address(self) -> Address:
        return Address("telegram", str(GROUP_CHAT_ID))

    async def resident_writes(self, inbound: InboundMessage) -> None:
        """The gateway's intake and turn for one message of the resident."""
        accepted = await self.runtime.engine.accept(inbound)
        if accepted is not None:
            await self.runtime.engine.process(accepted)

    async def _mediator_replies(self, text: str) -> None:
        """A mediator answers the latest group post (the ticket, or the resident's message)."""
        posts = [pid for to, _, pid in self.sent if to == self._group_address]
        message = GroupMessage(
            chat_id=GROUP_CHAT_ID,
            message_id=f"group-reply-{uuid.uuid4().hex[:8]}",
            text=text,
            sender=MEDIATOR,
            reply_to=posts[-1] if posts else None,
        )
        await handle_group_message(self.runtime.engine, message)

    async def _flush(self) -> None:
        while await self.runtime.worker.send_due():
            pass


@asynccontextmanager
async def migrated_template() -> AsyncIterator[Path]:
    """A migrated, empty SQLite file, copied for each conversation."""
    with tempfile.TemporaryDirectory(prefix="aiguillage-template-") as folder:
        path = Path(folder) / "template.db"
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await database.upgrade()
        finally:
            await database.close()
        yield path
