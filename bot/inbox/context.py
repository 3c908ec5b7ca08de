"""What inbox handlers share: the running gateway, reached through the parent application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.mediation.group import MediatorsGroup
from bot.mediation.models import Mediator
from bot.mediation.store import MediationRepository


@dataclass(frozen=True)
class Inbox:
    """Settings and a way to the runtime, which only exists once the server has started."""

    settings: Settings
    runtime: Callable[[], Any]  # -> bot.runtime.Runtime

    def now(self) -> datetime:
        return self.runtime().engine.clock()

    @property
    def content(self) -> Any:
        return self.runtime().engine.knowledge.content

    def group(self) -> MediatorsGroup | None:
        """The mediators' Telegram group, where inbox actions are announced, when configured."""
        notifier = self.runtime().engine.notifier
        return notifier if isinstance(notifier, MediatorsGroup) else None

    @property
    def reminder_delay(self) -> timedelta:
        return timedelta(minutes=self.settings.ticket_reminder_minutes)

    @property
    def secure_cookies(self) -> bool:
        return (self.settings.public_base_url or "").startswith("https://")


INBOX = web.AppKey("inbox", Inbox)
MEDIATOR = web.RequestKey("mediator", Mediator)  # who is logged in
CSRF = web.RequestKey("csrf", str)  # their session's form token


@asynccontextmanager
async def open_repo(request: web.Request) -> AsyncIterator[MediationRepository]:
    """One database session for one request."""
    runtime = request.app[INBOX].runtime()
    async with runtime.database.session() as session:
        yield MediationRepository(session, runtime.cipher)
