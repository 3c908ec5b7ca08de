"""The list of channels the server mounts. Adding a channel adds one line here.

A channel module (see `Channel`) has `NAME`, `disabled_reason(settings)`, `mount(app)` (its
routes), `running(app, settings, backend)` (an async context manager yielding its `Sender`
for the outbox) and says how its addresses read: `mask(value)` for the mediators' eyes and
`parse(text)` for an address typed on the command line. It gets a `bot.backend.Backend`
and nothing else of the core.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from aiohttp import web

from bot.backend import Backend
from bot.channels import sms, telegram
from bot.config import Settings
from bot.delivery import Sender
from bot.messages import Address


class Channel(Protocol):
    """What a channel module provides (a module satisfies a Protocol by its attributes)."""

    NAME: str

    def disabled_reason(self, settings: Settings) -> str | None: ...

    def mount(self, app: web.Application) -> None: ...

    def running(
        self, app: web.Application, settings: Settings, backend: Backend
    ) -> AbstractAsyncContextManager[Sender]: ...

    def mask(self, value: str) -> str: ...

    def parse(self, text: str) -> str | None: ...


CHANNELS: tuple[Channel, ...] = (sms, telegram)


def mask_address(channel: str, value: str) -> str:
    """Show mediators just enough to tell residents apart (each channel's own way)."""
    for known in CHANNELS:
        if channel == known.NAME:
            return known.mask(value)
    return f"{channel} •••{value[-2:]}"


def parse_address(text: str) -> Address:
    """`telegram:12345` (or any `channel:value`) → that channel; else the channel whose
    addresses look like this (`+33612345678` → SMS)."""
    channel, colon, value = text.strip().partition(":")
    if colon and channel and not channel.startswith("+"):
        return Address(channel, value)
    for known in CHANNELS:
        found = known.parse(text.strip())
        if found is not None:
            return Address(known.NAME, found)
    raise ValueError(f"not an address: {text.strip()!r} (write channel:value)")
