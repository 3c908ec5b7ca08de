"""The resident is told when a person will answer, from the mediators' hours and holidays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.content import load_content
from bot.conversation.handoff import handoff_reply
from tests.harness import CONTENT_DIR

CONTENT = load_content(CONTENT_DIR)


@pytest.mark.parametrize(
    ("now", "language", "expected"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), "fr", "répondre dans la journée."),
        (datetime(2026, 11, 25, 11, 30, tzinfo=UTC), "fr", "réouverture, à 13h30."),
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), "en", "reopen, tomorrow at 9h."),
        # Christmas Eve evening: the 25th is a public holiday, then a weekend.
        (datetime(2026, 12, 24, 18, 0, tzinfo=UTC), "fr", "réouverture, lundi à 9h."),
    ],
)
def test_handoff_reply_says_when(now, language, expected):
    assert handoff_reply(CONTENT, language, now).text.endswith(expected)
