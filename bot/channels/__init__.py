"""Channel adapters. Each turns its platform's requests into `InboundMessage`s for the
engine and delivers outbox rows through its `Sender`; none knows content or handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages import Address


@dataclass
class DeliveryError(Exception):
    """A send that failed; the outbox decides to retry, wait or give up from these flags."""

    reason: str
    permanent: bool = False  # retrying cannot help (bad number, message refused)
    opted_out: bool = False  # the person blocked us or unsubscribed at the platform
    retry_after: float | None = None  # the platform asked us to wait this many seconds

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Pace:
    """A platform's sending limits: seconds between two messages to one address, and overall."""

    per_address: float
    overall: float


class Sender(Protocol):
    """Delivers one outbox payload to one address and returns the platform's message id."""

    channel: str  # a sender may also have `pace: Pace`, which the outbox then respects

    async def send(self, address: Address, payload: dict) -> str | None: ...
