"""A stand-in for the runtime in channel tests: records what the channel hands over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

from bot.config import Settings
from bot.crypto import AddressCipher
from bot.db import Database
from bot.messages import InboundMessage
from bot.runtime import Runtime
from tests.conftest import SECRET

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@dataclass
class RecordingRuntime:
    """`receive` stores by (channel, platform id) like the real one, and records."""

    settings: Settings
    database: Database
    cipher: AddressCipher = field(default_factory=lambda: AddressCipher(SECRET))
    engine: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(clock=lambda: NOW))
    received: list[InboundMessage] = field(default_factory=list)
    spool: None = None  # delivery reports are recorded as the real runtime does
    receive_report = Runtime.receive_report
    _record_report = Runtime._record_report

    async def receive(self, inbound: InboundMessage) -> bool:
        key = (inbound.address.channel, inbound.platform_id)
        if any((m.address.channel, m.platform_id) == key for m in self.received):
            return False
        self.received.append(inbound)
        return True
