"""The gateway bench's load generator: signed SMS webhooks, closed loop or at a fixed rate."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientError, ClientSession

from bot.channels.sms import INBOUND_PATH
from tests.fake_twilio import ACCOUNT_SID, FROM_NUMBER, post_signed

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://aiguillage.example.org"  # the public URL the webhooks are signed over
WEBHOOK_TIMEOUT = 15.0  # seconds: Twilio gives up on a webhook after 15 s


@dataclass(frozen=True)
class Message:
    sender: str
    text: str
    sid: str


@dataclass(frozen=True)
class Sent:
    message: Message
    start: float
    latency: float
    status: int  # 0: no answer (connection reset or refused, time-out)


def residents(texts: list[str]) -> Iterator[Message]:
    """Endless messages, each from a new number, cycling through the texts."""
    for n in itertools.count():
        yield Message(f"+3367{n:08d}", texts[n % len(texts)], f"SM{n:032x}")


def dev_texts() -> list[str]:
    """The texts of tests/data/dev.jsonl, in order."""
    lines = (ROOT / "tests" / "data" / "dev.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


async def send(session: ClientSession, url: str, message: Message) -> Sent:
    """POST one signed SMS webhook; note when it started, how long it took, its status."""
    form = {"MessageSid": message.sid, "From": message.sender, "To": FROM_NUMBER}
    form |= {"Body": message.text, "AccountSid": ACCOUNT_SID, "NumMedia": "0"}
    start = time.perf_counter()
    try:
        async with asyncio.timeout(WEBHOOK_TIMEOUT):
            async with await post_signed(session, url, INBOUND_PATH, form, PUBLIC) as response:
                await response.read()
                status = response.status
    except (ClientError, OSError, TimeoutError):
        status = 0
    return Sent(message, start, time.perf_counter() - start, status)


async def closed_loop(
    session: ClientSession,
    url: str,
    messages: Iterator[Message],
    concurrency: int,
    seconds: float,
    count: int | None = None,
) -> list[Sent]:
    """`concurrency` senders, each sending as soon as its previous webhook returns."""
    deadline, sent = time.perf_counter() + seconds, []
    taken, limit = itertools.count(), sys.maxsize if count is None else count

    async def sender() -> None:
        while time.perf_counter() < deadline and next(taken) < limit:
            sent.append(await send(session, url, next(messages)))

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return sent


async def fixed_rate(
    session: ClientSession, url: str, messages: Iterator[Message], rate: float, seconds: float
) -> list[Sent]:
    """One webhook every 1/rate s whatever the answers (an open loop, as Twilio sends)."""
    start, tasks = time.perf_counter(), []
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(session, url, next(messages))))
    return list(await asyncio.gather(*tasks))
