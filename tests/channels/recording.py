"""A stand-in for the core in channel tests: a `Backend` that records what the channel
hands over (and records reports, opt-outs and chat moves as the real intake does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

from bot.config import Settings
from bot.crypto import AddressCipher
from bot.gateway.runtime import Intake
from bot.messages import GroupMessage, InboundMessage
from bot.store.db import Database
from tests.conftest import SECRET

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@dataclass
class RecordingRuntime:
    """`receive` stores by (channel, platform id) like the real one, and records."""

    settings: Settings
    database: Database
    cipher: AddressCipher = field(default_factory=lambda: AddressCipher(SECRET))
    engine: SimpleNamespace = field(
        default_factory=lambda: SimpleNamespace(clock=lambda: NOW, notifier=None)
    )
    received: list[InboundMessage] = field(default_factory=list)
    group: list[GroupMessage] = field(default_factory=list)
    spool: None = None  # delivery reports are recorded as the real intake does
    now = Intake.now
    receive_report = Intake.receive_report
    _record_report = Intake._record_report
    opt_out = Intake.opt_out
    opt_in = Intake.opt_in
    _opt = Intake._opt
    chat_moves = Intake.chat_moves
    record_chat_move = Intake.record_chat_move
    _follow = Intake._follow

    async def receive(self, inbound: InboundMessage) -> bool:
        key = (inbound.address.channel, inbound.platform_id)
        if any((m.address.channel, m.platform_id) == key for m in self.received):
            return False
        self.received.append(inbound)
        return True

    async def receive_group(self, message: GroupMessage) -> None:
        self.group.append(message)
