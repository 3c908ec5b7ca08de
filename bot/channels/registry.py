"""The list of channels the server mounts. Adding a channel adds one line here.

A channel module has `NAME`, `disabled_reason(settings) -> str | None`,
`mount(app)` (its routes) and `running(app, runtime)`, an async context manager
yielding its `Sender` for the outbox.
"""

from __future__ import annotations

from types import ModuleType

from bot.channels import sms, telegram

CHANNELS: tuple[ModuleType, ...] = (sms, telegram)
