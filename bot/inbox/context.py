"""What inbox handlers share: the running gateway, reached through the parent application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from bot.config import Settings
from bot.crypto import AddressCipher
from bot.mediation.group import MediatorsGroup
from bot.mediation.store import MediationRepository
from bot.store.db import Database
from bot.store.models import Mediator

if TYPE_CHECKING:
    from bot.content import Content


class Desk(Protocol):
    """The running engine as the inbox reads it."""

    clock: Callable[[], datetime]
    notifier: Any  # the mediators' group when configured

    @property
    def content(self) -> Content: ...


class Waker(Protocol):
    def wake(self) -> None: ...


class Gateway(Protocol):
    """What the inbox needs of the running gateway (bot.gateway.runtime.Runtime)."""

    @property
    def database(self) -> Database: ...

    @property
    def cipher(self) -> AddressCipher: ...

    @property
    def engine(self) -> Desk: ...

    @property
    def worker(self) -> Waker: ...

    def reload_content(self) -> list[str]: ...


@dataclass(frozen=True)
class Inbox:
    """Settings and the gateway's runtime, which only exists once the server has started:
    it is read from the gateway's application, where the server puts it."""

    settings: Settings
    gateway: web.Application
    key: web.AppKey[Gateway]

    def runtime(self) -> Gateway:
        return self.gateway[self.key]

    def now(self) -> datetime:
        return self.runtime().engine.clock()

    @property
    def content(self) -> Content:
        return self.runtime().engine.content

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
