"""The terminal channel: `aiguillage chat` talks to the engine as a resident would."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import TextIO

from bot.channels.plain import render_plain
from bot.config import Settings
from bot.engine import utcnow
from bot.messages import Address, InboundMessage, reply_from_dict
from bot.runtime import start_runtime

NAME = "console"
PROMPT = "vous> "


class ConsoleSender:
    """Prints replies instead of sending them."""

    channel = NAME

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, address: Address, payload: dict) -> str | None:
        print(f"bot> {render_plain(reply_from_dict(payload))}\n", file=self.out, flush=True)
        return None


async def chat(
    settings: Settings, user: str, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    """Read lines until end of input; each line is one message from `console:<user>`."""
    runtime = await start_runtime(settings, senders={NAME: ConsoleSender(out)})
    address = Address(NAME, user)
    try:
        while True:
            if stdin.isatty():
                print(PROMPT, end="", file=out, flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            inbound = InboundMessage(address, line.strip(), uuid.uuid4().hex, utcnow())
            await runtime.engine.handle(inbound)
            while await runtime.worker.send_due():
                pass
    finally:
        await runtime.database.close()
