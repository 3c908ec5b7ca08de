"""A resident's media, opened by a logged-in mediator through the inbox's link: fetched from
the (fake) platform with our credentials, never linked to the platform directly."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bot.messages import Address, InboundMessage
from bot.store.models import Message
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.inbox.gateway import running_gateway

RESIDENT, CHAT = "+33612345642", 4242
JPEG, OGG = b"\xff\xd8\xff\xe0 a photo", b"OggS a voice note"


async def message_with(gw, address: Address, media: str, ref: str) -> int:  # noqa: ANN001
    inbound = InboundMessage(
        address, "", uuid.uuid4().hex, gw.now, media=(media,), media_refs=(ref,)
    )
    await gw.runtime.engine.handle(inbound)
    async with gw.runtime.database.session() as session:
        query = select(Message.id).where(Message.direction == "in").order_by(Message.id.desc())
        return (await session.execute(query)).scalars().first()


async def test_media_reach_a_logged_in_mediator_through_the_inbox(tmp_path):
    twilio, telegram = FakeTwilio(), FakeTelegram()
    async with twilio.serving() as twilio_url, telegram.serving() as telegram_url:
        settings = {
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_api_base_url": twilio_url,
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": telegram_url,
        }
        async with running_gateway(tmp_path, **settings) as gw:
            await gw.add_mediator("Anne")
            await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
            await gw.resident_says(str(CHAT), "je voudrais parler a quelqu'un", "telegram")
            picture = twilio.add_media("MM1", "image/jpeg", JPEG)
            telegram.add_file("AwACvoice", "voice/file_7.oga", OGG)
            photo = await message_with(gw, Address("sms", RESIDENT), "photo", picture)
            voice = await message_with(gw, Address("telegram", str(CHAT)), "voice", "AwACvoice")
            stranger = await message_with(
                gw, Address("sms", RESIDENT), "photo", "https://evil.example/x.jpg"
            )

            anonymous = await gw.client.get(f"/inbox/media/{photo}/0", allow_redirects=False)
            assert anonymous.status in (302, 303, 401, 403)
            await gw.login("Anne")
            response = await gw.client.get(f"/inbox/media/{photo}/0")
            assert response.status == 200 and await response.read() == JPEG
            assert response.content_type == "image/jpeg"
            assert "no-store" in response.headers["Cache-Control"]
            response = await gw.client.get(f"/inbox/media/{voice}/0")
            assert response.status == 200 and await response.read() == OGG
            assert response.content_type == "audio/ogg"
            assert (await gw.client.get(f"/inbox/media/{photo}/1")).status == 404
            assert (await gw.client.get(f"/inbox/media/{stranger}/0")).status == 404

            page = await (await gw.client.get("/inbox/tickets/1")).text()
            assert f'href="/inbox/media/{photo}/0">[photo]</a>' in page
