"""Replies cut into the parts a platform takes whole, before they are queued.

Each part becomes its own outbox row, so a retry resends only the part that did not leave.
Pure functions of the reply's text: no platform client here (the repository imports this).
"""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Reply
from bot.rendering.gsm import render_sms, split_body
from bot.rendering.plain import render_plain

TELEGRAM_TEXT = 4096  # the Bot API's limit, in UTF-16 code units of the parsed text


def reply_parts(channel: str, reply: Reply) -> list[Reply]:
    """The reply as parts for `channel`; a reply that fits is its own single part."""
    if channel == "sms":
        return sms_parts(reply)
    if channel == "telegram":
        return telegram_parts(reply)
    return [reply]


def sms_parts(reply: Reply) -> list[Reply]:
    """One part per SMS body (Twilio concatenates up to 1,600 characters itself)."""
    bodies = render_sms(reply)
    if len(bodies) <= 1:
        return [reply]
    return [Reply(body, key=reply.key) for body in bodies]  # choices are numbered in the text


def telegram_parts(reply: Reply) -> list[Reply]:
    """Messages of at most 4,096 units; the keyboard and the pin go with the last one."""
    # With a location button the choices are numbered in the text (see message_parts).
    rendered = render_plain(reply) if reply.location_button else reply.text
    limit = TELEGRAM_TEXT - (utf16_length(rendered) - utf16_length(reply.text))
    if utf16_length(reply.text) <= limit:
        return [reply]
    size = limit
    texts = split_body(reply.text, size)
    while size > 1 and any(utf16_length(t) > limit for t in texts):  # astral: 2 units
        size = max(size - (max(utf16_length(t) for t in texts) - limit), size // 2, 1)
        texts = split_body(reply.text, size)
    first = [Reply(text, key=reply.key) for text in texts[:-1]]
    return [*first, replace(reply, text=texts[-1])]


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
