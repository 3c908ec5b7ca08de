"""The resident is told when a person will answer, from the mediators' hours and holidays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.content import load_content
from bot.handoff import handoff_reply
from tests.harness import CONTENT_DIR

CONTENT = load_content(CONTENT_DIR)


@pytest.mark.parametrize(
    ("now", "language", "expected"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), "fr", "repondre dans la journee."),
        (datetime(2026, 11, 25, 11, 30, tzinfo=UTC), "fr", "reouverture, aujourd'hui a 13h30."),
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), "en", "reopen, tomorrow at 09:00."),
        # Christmas Eve evening: the 25th is a public holiday, then a weekend.
        (datetime(2026, 12, 24, 18, 0, tzinfo=UTC), "fr", "reouverture, lundi 28 decembre a 9h00."),
    ],
)
def test_handoff_reply_says_when(now, language, expected):
    assert handoff_reply(CONTENT, language, now).text.endswith(expected)
