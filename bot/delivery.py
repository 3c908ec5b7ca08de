"""How a reply leaves: the `Sender` contract every channel implements for the outbox, the
`DeliveryError` it raises, and a platform's `Pace`. Imports nothing of the gateway: the
outbox and the channels both depend on this module, never on each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

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

    async def send(self, address: Address, payload: dict[str, Any]) -> str | None: ...
