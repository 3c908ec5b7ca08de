"""The terminal: `aiguillage chat` talks to the engine as a resident would. Not a channel
of the registry: it drives a whole runtime of its own, in one process, with no webhook.

`/mediateur TEXTE` (or `/mediator`) plays a mediator answering in the mediators' group, so
a whole hand-off can be tried on one machine: `/mediateur /prendre`, `/mediateur /clore`
and any other text, as a reply to the group's last post about the resident.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import timedelta
from typing import Any, TextIO

from bot.config import Settings
from bot.conversation.engine import utcnow
from bot.delivery import Sender
from bot.gateway.runtime import Runtime, start_runtime
from bot.mediation.group import MediatorsGroup, handle_group_message
from bot.messages import Address, GroupMessage, InboundMessage, reply_from_dict
from bot.rendering.plain import render_plain

NAME = "console"
PROMPT = "vous> "
CONSOLE_GROUP = -1  # the mediators' "group" of a terminal session
MEDIATOR_COMMANDS = ("/mediateur", "/mediator")


class ConsoleSender:
    """Prints replies instead of sending them."""

    channel = NAME

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, address: Address, payload: dict[str, Any]) -> str | None:
        print(f"bot> {render_plain(reply_from_dict(payload))}\n", file=self.out, flush=True)
        return None


class GroupPrinter:
    """Prints the mediators' group posts; remembers the last one, which `/mediateur` answers."""

    channel = "telegram"

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.posts = 0

    async def send(self, address: Address, payload: dict[str, Any]) -> str | None:
        self.posts += 1
        text = render_plain(reply_from_dict(payload)).replace("\n", "\n            ")
        print(f"[médiateurs] {text}\n", file=self.out, flush=True)
        return self.last_post

    @property
    def last_post(self) -> str:
        return f"console-post-{self.posts}"


async def chat(
    settings: Settings,
    user: str,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    mediator: str = "Médiatrice",
) -> None:
    """Read lines until end of input; each line is one message from `console:<user>`, or a
    mediator's when it starts with `/mediateur`."""
    group_id = settings.mediators_chat_id or CONSOLE_GROUP
    group = MediatorsGroup(group_id, timedelta(minutes=settings.ticket_reminder_minutes))
    printer = GroupPrinter(out)
    senders: dict[str, Sender] = {NAME: ConsoleSender(out), printer.channel: printer}
    runtime = await start_runtime(settings, senders=senders, notifier=group)
    address = Address(NAME, user)
    try:
        while True:
            if stdin.isatty():
                print(PROMPT, end="", file=out, flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            command, _, rest = line.strip().partition(" ")
            if command in MEDIATOR_COMMANDS and rest.strip():
                await _as_mediator(runtime, group_id, printer, mediator, rest.strip())
            elif line.strip():
                inbound = InboundMessage(address, line.strip(), uuid.uuid4().hex, utcnow())
                await runtime.engine.handle(inbound)
            while await runtime.worker.send_due():
                pass
    finally:
        await runtime.database.close()


async def _as_mediator(
    runtime: Runtime, group_id: int, printer: GroupPrinter, name: str, text: str
) -> None:
    """A mediator's message in the group, replying to its last post."""
    message = GroupMessage(
        chat_id=group_id,
        message_id=f"console-mediator-{uuid.uuid4().hex[:8]}",
        text=text,
        sender=name,
        reply_to=printer.last_post if printer.posts else None,
    )
    await handle_group_message(runtime.engine, message)
