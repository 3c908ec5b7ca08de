"""The one port between the channels and the core (courier's Backend).

A channel module gets a `Backend` and its `Settings`, nothing else of the gateway: it never
sees the engine, the repository, the mediation package or the inbox. What it hands over is
made of `bot.messages` types; what it is told back is a bool or nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypedDict

from bot.messages import Address, GroupMessage, InboundMessage


class DeliveryReport(TypedDict):
    """A platform's word on a reply it was given: delivered or failed, and why."""

    platform_id: str  # the id the platform gave the reply when it was sent
    outcome: str  # "delivered" or "failed"
    error: str
    opted_out: bool  # the person unsubscribed at the platform (Twilio 21610)


class Backend(Protocol):
    """All a channel may ask of the core."""

    def now(self) -> datetime:
        """The gateway's clock, for `received_at`."""
        ...

    async def receive(self, inbound: InboundMessage) -> bool:
        """Store a resident's message (acknowledge the platform after this returns) and
        answer it in the background; False for a duplicate. Spooled while the database is
        down; raises `bot.gateway.intake.Unstorable` for ids no retry could store."""
        ...

    async def receive_group(self, message: GroupMessage) -> None:
        """Act on a message of the mediators' group (a reply to relay, a command)."""
        ...

    async def receive_report(self, channel: str, report: DeliveryReport) -> None:
        """Record a platform's delivery report on a reply."""
        ...

    async def opt_out(self, address: Address) -> None:
        """The person blocked us at the platform: send them nothing more."""
        ...

    async def opt_in(self, address: Address) -> None:
        """The person came back (unblocked, restarted): they may be written to again."""
        ...

    async def chat_moves(self) -> dict[int, int]:
        """Groups that became supergroups, old id -> new id, as recorded so far."""
        ...

    async def record_chat_move(self, old: int, new: int) -> None:
        """A group became a supergroup; the mediators' group is posted to at `new` now."""
        ...
