"""A stand-in for the core in channel tests: a `Backend` that records what the channel
hands over (and records reports, opt-outs and chat moves as the real intake does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

from bot.config import Settings
from bot.crypto import AddressCipher
from bot.gateway.batching import GroupCommit
from bot.gateway.runtime import Intake
from bot.messages import Address, GroupMessage, InboundMessage
from bot.outage import is_outage
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
    told: list[tuple[Address, str]] = field(default_factory=list)  # tell_mediators
    spool: None = None  # delivery reports are recorded as the real intake does
    now = Intake.now
    receive_report = Intake.receive_report
    _record_report = Intake._record_report
    _store_reports = Intake._store_reports
    last_heard = Intake.last_heard
    opt_out = Intake.opt_out
    opt_in = Intake.opt_in
    _opt = Intake._opt
    chat_moves = Intake.chat_moves
    record_chat_move = Intake.record_chat_move
    _follow = Intake._follow

    def __post_init__(self) -> None:
        self.reports = GroupCommit(self._store_reports, is_outage)

    async def receive(self, inbound: InboundMessage) -> bool:
        key = (inbound.address.channel, inbound.platform_id)
        if any((m.address.channel, m.platform_id) == key for m in self.received):
            return False
        self.received.append(inbound)
        return True

    async def tell_mediators(self, address: Address, text: str) -> None:
        self.told.append((address, text))

    async def receive_group(self, message: GroupMessage) -> None:
        self.group.append(message)
