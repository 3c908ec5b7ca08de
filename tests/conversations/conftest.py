"""A resident's conversation with the gateway (engine, outbox, mediators' group) on SQLite."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from bot.content import load_content
from bot.conversations.checks import Checker, TurnRecord
from bot.conversations.player import DEFAULT_START, Session, migrated_template
from bot.conversations.script import Step
from bot.messages import InboundMessage
from bot.rendering.plain import render_plain
from tests.databases import BACKENDS, postgres_database
from tests.harness import CONTENT_DIR, SECRET, gateway_settings

CONTENT = load_content(CONTENT_DIR)


class Resident:
    """Plays one resident (and the mediators) turn by turn; `said` returns what came back."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def runtime(self):  # noqa: ANN201 - bot.gateway.runtime.Runtime
        return self.session.runtime

    async def says(self, text: str) -> TurnRecord:
        return await self.session.turn(Step("say", text))

    async def shares(self, latitude: float, longitude: float) -> TurnRecord:
        return await self.session.turn(Step("location", (latitude, longitude)))

    async def sends_media(self, kind: str, caption: str = "") -> TurnRecord:
        """A voice note, a photo… (with its platform reference), and its caption if any."""
        session = self.session
        inbound = InboundMessage(
            session.address, caption, uuid.uuid4().hex, session.now,
            media=(kind,), media_refs=(f"file-{kind}",),
        )  # fmt: skip
        return await session._recorded(Step("say", caption), session.resident_writes(inbound))

    async def mediator_says(self, text: str) -> TurnRecord:
        return await self.session.turn(Step("mediator_reply", text))

    def later(self, **delta: float) -> None:
        """Move the clock on (timedelta's keywords)."""
        self.session.now += timedelta(**delta)

    async def follow_up_tickets(self, idle_days: int = 7) -> TurnRecord:
        """Run the gateway's ticket follow-up now; what the resident and group got."""
        before = len(self.session.sent)
        await self.runtime.engine.follow_up_tickets(idle_days)
        while await self.runtime.worker.send_due():
            pass
        new = self.session.sent[before:]
        replies = tuple(r for to, r, _ in new if to == self.session.address)
        posts = tuple(r.text for to, r, _ in new if to != self.session.address)
        return TurnRecord(self.session.address.channel, "say", "", replies, posts)


CHECKER = Checker.of(CONTENT)


def point_of(name: str) -> tuple[float, float]:
    """The gazetteer's point for a neighbourhood or street."""
    entry = next(e for e in CONTENT.gazetteer if e.name == name)
    return entry.latitude, entry.longitude


def lists_places_near(record: TurnRecord, name: str, service: str | None = None) -> bool:
    """The first place named is near `name`, as the conversation README measures it."""
    expect = {"places_near": point_of(name)} | ({"service": service} if service else {})
    return CHECKER.failures(record, expect) == []


def text_of(record: TurnRecord) -> str:
    """Everything the resident received in a turn, as they would read it."""
    return "\n".join(render_plain(r) for r in record.replies)


@asynccontextmanager
async def resident_on(
    channel: str, tmp_path, start=DEFAULT_START, backend: str = "sqlite"
) -> AsyncIterator[Resident]:
    """A new resident of a running gateway, on a fresh database of `backend`."""
    async with _database_url(tmp_path, backend) as url:
        settings = dataclasses.replace(
            gateway_settings(url, "", ""), secret_key=SECRET, database_url=url
        )
        session = Session(settings, channel, start)
        await session.start(CONTENT)
        try:
            yield Resident(session)
        finally:
            await session.runtime.database.close()


@asynccontextmanager
async def _database_url(tmp_path, backend: str) -> AsyncIterator[str]:
    if backend == "postgresql":
        async with postgres_database() as url:
            yield url
        return
    async with migrated_template() as template:
        path = tmp_path / "conversation.db"
        path.write_bytes(template.read_bytes())
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def resident(tmp_path) -> Callable[..., object]:
    """`async with resident("sms") as r:` a new resident on that channel (SQLite)."""
    return lambda channel="sms", start=DEFAULT_START: resident_on(channel, tmp_path, start)


@pytest.fixture(params=BACKENDS)
def anywhere(request, tmp_path) -> Callable[..., object]:
    """The same, on SQLite and on the machine's PostgreSQL."""
    return lambda channel="sms", start=DEFAULT_START: resident_on(
        channel, tmp_path, start, request.param
    )
