"""Non-text messages: said what the bot reads; passed to the mediators while a ticket is open."""

from __future__ import annotations

import pytest

from tests.conversations.conftest import text_of


@pytest.mark.parametrize("kind", ["voice", "photo", "document", "sticker", "audio", "contact"])
async def test_a_message_without_text_is_told_what_the_bot_reads(resident, kind: str) -> None:
    async with resident("telegram") as r:
        record = await r.sends_media(kind)
    assert [reply.key for reply in record.replies] == ["media.unreadable"]
    assert record.replies[0].choices[0].value == "talk_to_human" and not record.group_posts


async def test_a_photo_with_a_caption_is_read_as_its_caption(resident) -> None:
    async with resident("telegram") as r:
        record = await r.sends_media("photo", "ou imprimer a bellevue")
    assert record.replies and record.replies[0].key == "place.card"


async def test_while_a_ticket_is_open_a_voice_note_reaches_the_mediators(resident) -> None:
    async with resident() as r:
        await r.says("je veux parler a quelqu'un")
        record = await r.sends_media("voice")
    assert record.group_posts and "/inbox/media/" in record.group_posts[0]
    assert "transmis" in text_of(record)
