"""Replies cut into platform-sized parts before they are queued."""

from __future__ import annotations

import pytest

from bot.messages import Choice, Reply, Venue
from bot.rendering.gsm import MAX_BODY, render_sms
from bot.rendering.parts import TELEGRAM_TEXT, reply_parts, utf16_length

MENU = (Choice("Un lieu", "find_place"), Choice("Être aidé", "talk_to_human"))
VENUE = Venue("Médiathèque", "Brest", 48.4, -4.5)
SIGNED_4090 = "a" * 4090 + "\n— Yann, médiatrice de la Ville"  # 4,117 once signed

TELEGRAM = [
    ("a short reply is one part", Reply("Bonjour", choices=MENU), 1),
    ("4,096 exactly", Reply("a" * 4096), 1),
    ("a signed 4,090-character answer", Reply(SIGNED_4090, key="ticket.answer"), 2),
    ("words over two messages", Reply("mot " * 2000, choices=MENU, venue=VENUE), 2),
    ("emoji count twice", Reply("🙂" * 3000), 2),
    ("numbered choices fit with the text", Reply("a" * 4090, MENU, location_button="📍"), 2),
]


@pytest.mark.parametrize(
    ("reply", "count"), [c[1:] for c in TELEGRAM], ids=[c[0] for c in TELEGRAM]
)
def test_telegram_parts(reply, count) -> None:
    parts = reply_parts("telegram", reply)
    assert len(parts) == count
    for part in parts:
        shown = part.text + "".join(f"\n{n}. {c.label}" for n, c in enumerate(part.choices, 1))
        assert utf16_length(shown if part.location_button else part.text) <= TELEGRAM_TEXT
    assert all(not p.choices and not p.venue for p in parts[:-1])
    last = parts[-1]
    assert (last.choices, last.venue, last.location_button) == (
        reply.choices,
        reply.venue,
        reply.location_button,
    )
    assert {p.key for p in parts} == {reply.key}
    words = "".join("".join(p.text.split()) for p in parts)
    assert words == "".join(reply.text.split())  # nothing lost but the spaces at the cuts


SMS = [
    ("a short reply is one part", Reply("Bonjour", choices=MENU), 1),
    ("three bodies", Reply("mot " * 1000), 3),
    ("choices numbered in the last body", Reply("mot " * 500, choices=MENU), 2),
]


@pytest.mark.parametrize(("reply", "count"), [c[1:] for c in SMS], ids=[c[0] for c in SMS])
def test_sms_parts(reply, count) -> None:
    parts = reply_parts("sms", reply)
    assert len(parts) == count
    bodies = [body for part in parts for body in render_sms(part)]
    assert bodies == render_sms(reply)  # each part renders to exactly one body
    assert all(len(b) <= MAX_BODY for b in bodies)


def test_other_channels_are_not_cut() -> None:
    reply = Reply("x" * 10_000)
    assert reply_parts("console", reply) == [reply]
