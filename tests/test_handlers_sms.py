"""Every answer the content can produce, rendered for SMS: GSM-7, at most 4 segments, median 2."""

from __future__ import annotations

from statistics import median

import pytest

from bot.content import load_content
from bot.rendering.gsm import is_gsm7, render_sms, segment_count
from tests.answers import every_answer
from tests.harness import CONTENT_DIR


@pytest.fixture(scope="module")
def content():
    return load_content(CONTENT_DIR)


async def test_every_answer_fits_sms(content):
    replies = await every_answer(content)
    keys = {r.key for r in replies}
    assert {"place.card", "mediator.topic", "housing.active", "housing.not_active"} <= keys
    segments = []
    for reply in replies:
        bodies = render_sms(reply)
        assert all(is_gsm7(body) for body in bodies), reply.text
        segments.append(sum(segment_count(body) for body in bodies))
        assert segments[-1] <= 4, (reply.key, reply.text)
    assert median(segments) <= 2
