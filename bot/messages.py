"""The channel-agnostic messages exchanged by the channels and the engine.

Channels turn their platform's requests into `InboundMessage` and render `Reply`;
the engine never sees a platform object. These are the only types both sides share.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Control characters (but tab and newlines) and lone surrogates: no database stores a NUL
# or a lone surrogate, and none of them means anything in a resident's message.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Address:
    """Where a person writes from: a channel name and the address on that channel."""

    channel: str  # "sms", "telegram", "console"
    value: str  # E.164 phone number, Telegram chat id, console user name


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class InboundMessage:
    """One message from a resident, as the channel received it."""

    address: Address
    text: str
    platform_id: str  # unique per channel: Twilio MessageSid, Telegram update_id, ...
    received_at: datetime
    location: Location | None = None
    choice: str | None = None  # value of a pressed button, when the platform has buttons
    language: str | None = None  # hint from the platform (Telegram language_code)
    # What came besides text: MEDIA_KINDS, one per attachment ("voice",); its platform
    # reference at the same index in media_refs (a Telegram file_id, a Twilio MediaUrl).
    media: tuple[str, ...] = ()
    media_refs: tuple[str, ...] = ()


MEDIA_KINDS = ("voice", "audio", "document", "photo", "sticker", "video", "contact")


# The choice a channel sends when a person opens the chat (Telegram's /start, or Restart
# after unblocking the bot): the engine answers it as a greeting.
START = "greeting"


@dataclass(frozen=True)
class GroupMessage:
    """A message written in the mediators' group, as the Telegram channel saw it."""

    chat_id: int
    message_id: str
    text: str
    sender: str  # display name of the mediator
    username: str | None = None
    reply_to: str | None = None  # id of the group message it replies to
    from_bot: bool = False


@dataclass(frozen=True)
class Choice:
    """One option of a menu: `label` is shown, `value` comes back when picked."""

    label: str
    value: str


@dataclass(frozen=True)
class Venue:
    """A place to pin on a map, for channels that can show one."""

    name: str
    address: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Reply:
    """One answer, built once by a handler and rendered by each channel.

    `text` is plain French (or English) text; channels adapt it (GSM-7 for SMS,
    formatting for Telegram). `choices` are numbered in SMS and buttons elsewhere.
    """

    text: str
    choices: tuple[Choice, ...] = ()
    venue: Venue | None = None
    location_button: str = ""  # label of a "share my location" button, where channels have one
    key: str = ""  # content key of the sentence, for metrics and cost reports


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Serialise a reply for the outbox."""
    data: dict[str, Any] = {"text": reply.text, "key": reply.key}
    if reply.choices:
        data["choices"] = [[c.label, c.value] for c in reply.choices]
    if reply.venue:
        v = reply.venue
        data["venue"] = [v.name, v.address, v.latitude, v.longitude]
    if reply.location_button:
        data["location_button"] = reply.location_button
    return data


def reply_from_dict(data: Mapping[str, Any]) -> Reply:
    """Rebuild a reply from its outbox payload."""
    venue = data.get("venue")
    return Reply(
        text=data["text"],
        choices=tuple(Choice(label, value) for label, value in data.get("choices", ())),
        venue=Venue(*venue) if venue else None,
        location_button=data.get("location_button", ""),
        key=data.get("key", ""),
    )


def printable(text: str) -> str:
    """The text without control characters and lone surrogates."""
    return UNPRINTABLE.sub("", text)
