"""A running gateway on loopback for inbox tests: real app, engine, storage and outbox."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.gateway.runtime import Runtime
from bot.gateway.server import RUNTIME, create_app
from bot.inbox.auth import hash_password
from bot.mediation.store import MediationRepository
from bot.messages import Address, InboundMessage, Reply
from tests.harness import CONTENT_DIR, SECRET, WEDNESDAY_MORNING, CapturingSender

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Gateway:
    """The app under test, its runtime, and what residents received."""

    client: TestClient
    runtime: Runtime
    sent: list[tuple[Address, Reply]]
    now: datetime

    async def resident_says(self, who: str, text: str, channel: str = "sms") -> list[str]:
        """A resident message through the real engine; returns the texts they received."""
        before = len(self.sent)
        inbound = InboundMessage(Address(channel, who), text, uuid.uuid4().hex, self.now)
        await self.runtime.engine.handle(inbound)
        await self.flush()
        return [r.text for to, r in self.sent[before:] if to.value == who]

    async def flush(self) -> None:
        while await self.runtime.worker.send_due():
            pass

    async def add_mediator(self, name: str, topics: tuple[str, ...] = ()) -> None:
        async with self.runtime.database.session() as session:
            repo = MediationRepository(session, self.runtime.cipher)
            mediator = await repo.add_mediator(name, hash_password(PASSWORD), self.now)
            mediator.topics = list(topics)
            await session.commit()

    async def login(self, name: str) -> None:
        page = await (await self.client.get("/inbox/login")).text()
        form = {"csrf": CSRF.search(page).group(1), "name": name, "password": PASSWORD}
        response = await self.client.post("/inbox/login", data=form)
        assert response.status == 200 and "Se déconnecter" in await response.text()


@asynccontextmanager
async def running_gateway(tmp_path: Path, **settings: object) -> AsyncIterator[Gateway]:
    """Start the gateway on a SQLite file; residents' replies are captured, not sent."""
    config = Settings(
        secret_key=SECRET,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        content_dir=CONTENT_DIR,
        **settings,
    )
    now = WEDNESDAY_MORNING
    app = create_app(config, clock=lambda: now)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        runtime = app[RUNTIME]
        sent: list[tuple[Address, Reply]] = []
        for channel in ("sms", "telegram"):
            runtime.worker.senders[channel] = CapturingSender(channel, sent)
        yield Gateway(client, runtime, sent, now)
