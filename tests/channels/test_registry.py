"""The channels' registry: each channel module says how its addresses read."""

from __future__ import annotations

import pytest

from bot.channels.registry import CHANNELS, mask_address, parse_address
from bot.messages import Address


def test_each_channel_masks_its_own_addresses() -> None:
    assert mask_address("sms", "+33612345642") == "+33 6 •• •• •• 42"
    assert mask_address("sms", "+447700900123") == "+44 ••• 23"
    assert mask_address("telegram", "123456721") == "telegram •••21"
    assert mask_address("console", "amina") == "console •••na"  # not a registry channel


def test_an_address_typed_on_the_command_line() -> None:
    assert parse_address("+33612345642") == Address("sms", "+33612345642")
    assert parse_address(" telegram:12345 ") == Address("telegram", "12345")
    assert parse_address("whatsapp:+33612345642") == Address("whatsapp", "+33612345642")
    with pytest.raises(ValueError, match="channel:value"):
        parse_address("amina")


def test_every_channel_module_has_the_contract() -> None:
    for channel in CHANNELS:
        for name in ("NAME", "disabled_reason", "mount", "running", "mask", "parse"):
            assert hasattr(channel, name), f"{channel.NAME} lacks {name}"
