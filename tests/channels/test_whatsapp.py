"""WhatsApp through Twilio, end to end through `create_app`: signed webhooks on the SMS
route, our Messages API client against the fake Twilio, the 24-hour window and its template."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.channels import sms, whatsapp
from bot.channels.media import fetch_media
from bot.channels.registry import mask_address, parse_address
from bot.channels.twilio_api import TwilioError
from bot.gateway.server import RUNTIME, create_app
from bot.mediation import tickets
from bot.mediation.display import message_json
from bot.mediation.store import MediationRepository
from bot.messages import Address, Reply
from bot.store.models import Message, OutboxItem, Ticket
from bot.store.repository import Repository
from tests.channels.test_gateway import Clock, until
from tests.fake_telegram import FakeTelegram
from tests.fake_twilio import (
    FROM_NUMBER,
    OUTSIDE_WINDOW,
    WHATSAPP_FROM,
    FakeTwilio,
    inbound_form,
    post_signed,
    status_form,
    whatsapp_form,
)
from tests.harness import CONTENT_DIR, PUBLIC, gateway_settings

RESIDENT = "+33600000004"
GROUP = -1001234567890
TEMPLATE_SID = "HX" + "0123456789abcdef" * 2
BELLEVUE = ("48.4065", "-4.5021")


class WhatsAppGateway:
    """Fake Twilio and Telegram, and a gateway with SMS, WhatsApp and the mediators' group."""

    def __init__(self, tmp_path: Path, content_dir: Path, **settings: object) -> None:
        self.twilio, self.telegram, self.clock = FakeTwilio(), FakeTelegram(), Clock()
        self.tmp_path, self.content_dir, self.settings = tmp_path, content_dir, settings
        self.client: TestClient | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[WhatsAppGateway]:
        async with self.twilio.serving() as twilio_url, self.telegram.serving() as tg_url:
            settings = gateway_settings(
                f"sqlite+aiosqlite:///{self.tmp_path / 'gateway.db'}",
                twilio_url,
                tg_url,
                twilio_whatsapp_from=WHATSAPP_FROM,
                mediators_chat_id=GROUP,
            )
            settings = replace(settings, content_dir=self.content_dir, **self.settings)
            app = create_app(settings, self.clock)
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                self.client = client
                yield self

    async def post(self, path: str, form: dict[str, str]) -> int:
        base = str(self.client.make_url("")).rstrip("/")
        response = await post_signed(self.client.session, base, path, form, PUBLIC)
        return response.status

    async def says(self, sid: str, text: str = "", **extra: str) -> int:
        return await self.post(sms.INBOUND_PATH, whatsapp_form(sid, text, RESIDENT, **extra))

    def sent(self) -> list[dict[str, str]]:
        """What left for the WhatsApp resident."""
        return [m for m in self.twilio.sent if m["To"] == whatsapp.PREFIX + RESIDENT]

    def group_posts(self) -> list[str]:
        return [m["text"] for m in self.telegram.sent() if int(m["chat_id"]) == GROUP]

    @property
    def runtime(self):  # noqa: ANN201
        return self.client.app[RUNTIME]

    async def transcript(self) -> list[dict]:
        async with self.runtime.database.session() as session:
            query = select(Message).order_by(Message.id)
            return [message_json(m) for m in (await session.execute(query)).scalars()]

    async def open_ticket(self) -> int:
        """Ask for a person until a ticket is open; returns its id."""
        for n, text in enumerate(("je veux parler à un conseiller", "ma facture caf", "oui")):
            assert await self.says(f"SMt{n}", text) == 200
            await asyncio.sleep(0.3)
            async with self.runtime.database.session() as session:
                ticket = (await session.execute(select(Ticket))).scalars().first()
            if ticket is not None:
                await self.replies_left()
                return ticket.id
        raise AssertionError("no ticket opened")

    async def replies_left(self) -> None:
        """Wait until no reply waits in the outbox (before the test's clock jumps a day)."""
        waiting = select(OutboxItem.id).where(OutboxItem.status.in_(("pending", "sending")))
        for _ in range(750):
            async with self.runtime.database.session() as session:
                if (await session.execute(waiting)).first() is None:
                    return
            await asyncio.sleep(0.02)
        raise AssertionError("replies still waiting")

    async def mediator_answers(self, ticket_id: int, text: str) -> None:
        """An answer from the inbox (the same rule as the group's)."""
        runtime = self.runtime
        async with runtime.database.session() as session:
            repo = MediationRepository(session, runtime.cipher)
            ticket = await repo.ticket(ticket_id)
            content = runtime.engine.knowledge.content
            await tickets.answer(
                repo, content, ticket, text, "Yann", self.clock(), runtime.engine.notifier
            )
            await session.commit()
        runtime.worker.wake()


@asynccontextmanager
async def gateway(
    tmp_path: Path, templates: dict | None = None, **settings: object
) -> AsyncIterator[WhatsAppGateway]:
    content_dir = CONTENT_DIR
    if templates is not None:
        content_dir = tmp_path / "content"
        shutil.copytree(CONTENT_DIR, content_dir)
        modeles = json.dumps({"modeles": templates}, ensure_ascii=False)  # YAML reads JSON
        (content_dir / "whatsapp_modeles.yaml").write_text(modeles, encoding="utf-8")
    async with WhatsAppGateway(tmp_path, content_dir, **settings).running() as g:
        yield g


async def test_a_whatsapp_conversation_leaves_from_the_whatsapp_sender(tmp_path) -> None:
    """Issue 15 item 6: whatsapp: senders were taken as SMS and answered from the SMS number
    (Twilio refuses that with 21910); the fake refuses it too."""
    async with gateway(tmp_path) as g:
        assert await g.says("SMw1", "bonjour") == 200
        await until(lambda: len(g.sent()) == 1)
        [menu] = g.sent()
        assert menu["From"] == WHATSAPP_FROM
        assert menu["StatusCallback"] == PUBLIC + sms.STATUS_PATH
        assert "\n1. " in menu["Body"]
        # SMS on the same route still leaves from the SMS number
        assert await g.post(sms.INBOUND_PATH, inbound_form("SMs1", "bonjour")) == 200
        await until(lambda: len(g.twilio.sent) == 2)
        assert g.twilio.sent[1]["From"] == FROM_NUMBER
        assert g.twilio.sent[1]["To"] == "+33600000001"
        async with g.runtime.database.session() as session:
            channels = (await session.execute(select(Message.channel).distinct())).scalars()
            assert set(channels) == {"whatsapp", "sms"}


async def test_a_shared_location_gets_the_nearest_places(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        latitude, longitude = BELLEVUE
        extra = {"Latitude": latitude, "Longitude": longitude, "MessageType": "location"}
        assert (
            await g.says("SMloc", "", **extra, Address="Rue de Bellevue", Label="Chez moi") == 200
        )
        await until(lambda: len(g.sent()) >= 1)
        await asyncio.sleep(0.3)
        bodies = "\n".join(m["Body"] for m in g.sent())
        assert "Kérédern" in bodies
        stored = [m for m in await g.transcript() if m["kind"] == "in"]
        assert len(stored) == 1


async def test_stop_is_honoured(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        assert await g.says("SMs1", "STOP") == 200
        await until(lambda: len(g.sent()) == 1)
        assert "START" in g.sent()[0]["Body"]
        assert await g.says("SMs2", "bonjour") == 200
        await asyncio.sleep(0.5)
        assert len(g.sent()) == 1


async def test_media_are_kept_as_kinds_and_references(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        picture = g.twilio.add_media("MMwa1", "image/jpeg", b"jpeg")
        extra = {"NumMedia": "1", "MediaContentType0": "image/jpeg", "MediaUrl0": picture}
        assert await g.says("MMwa1", "", MessageType="image", **extra) == 200
        await until(lambda: len(g.sent()) == 1)  # the bot says what it can read
        async with g.runtime.database.session() as session:
            query = select(Message.payload).where(Message.direction == "in")
            [payload] = (await session.execute(query)).scalars()
        assert payload == {"media": ["photo"], "media_refs": [picture]}


async def test_duplicate_webhooks_are_stored_once(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        assert [await g.says("SMdup", "bonjour") for _ in range(3)] == [200, 200, 200]
        await until(lambda: len(g.sent()) == 1)
        await asyncio.sleep(0.3)
        assert len(g.sent()) == 1


async def test_a_forged_whatsapp_webhook_is_refused(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        form = whatsapp_form("SMforged", "bonjour", RESIDENT)
        response = await g.client.post(
            sms.INBOUND_PATH, data=form, headers={"X-Twilio-Signature": "forged"}
        )
        assert response.status == 403
        assert await g.transcript() == []


async def test_masked_as_a_whatsapp_number_for_mediators(tmp_path) -> None:
    assert mask_address("whatsapp", RESIDENT) == "wa +33 6 •• •• •• 04"
    assert parse_address("whatsapp:+33600000004") == Address("whatsapp", RESIDENT)
    async with gateway(tmp_path) as g:
        ticket_id = await g.open_ticket()
        await until(lambda: any("Nouveau ticket" in p for p in g.group_posts()))
        [post] = [p for p in g.group_posts() if "Nouveau ticket" in p]
        assert "wa +33 6 •• •• •• 04" in post and "0600000004" not in post
        async with g.runtime.database.session() as session:
            repo = MediationRepository(session, g.runtime.cipher)
            card = await tickets.card(repo, await repo.ticket(ticket_id), g.clock(), timedelta(1))
        assert (card.channel, card.masked_address) == ("whatsapp", "wa +33 6 •• •• •• 04")


async def test_an_answer_inside_the_window_leaves_as_text(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        ticket_id = await g.open_ticket()
        before = len(g.sent())
        g.clock.now += timedelta(hours=23)
        await g.mediator_answers(ticket_id, "Être aidée ? Passez mardi ✅ çà")
        await until(lambda: len(g.sent()) == before + 1)
        assert "Être aidée ? Passez mardi ✅ çà" in g.sent()[-1]["Body"]  # Unicode kept
        assert "ContentSid" not in g.sent()[-1]


async def test_outside_the_window_the_answer_leaves_as_its_template(tmp_path) -> None:
    templates = {"ticket.answer": {"content_sid": TEMPLATE_SID, "variables": {"1": "Brest"}}}
    async with gateway(tmp_path, templates) as g:
        ticket_id = await g.open_ticket()
        before = len(g.sent())
        g.clock.now += timedelta(hours=25)
        await g.mediator_answers(ticket_id, "Passez mardi à la médiathèque.")
        await until(lambda: len(g.sent()) == before + 1)
        template = g.sent()[-1]
        assert template["ContentSid"] == TEMPLATE_SID
        assert json.loads(template["ContentVariables"]) == {"1": "Brest"}
        assert "Body" not in template and template["From"] == WHATSAPP_FROM
        await until(lambda: any("modèle" in p for p in g.group_posts()))


async def test_outside_the_window_without_a_template_the_mediators_are_told(tmp_path) -> None:
    async with gateway(tmp_path, templates={}) as g:
        ticket_id = await g.open_ticket()
        before = len(g.sent())
        g.clock.now += timedelta(hours=25)
        await g.mediator_answers(ticket_id, "Passez mardi à la médiathèque.")
        await until(lambda: any("pas parti par WhatsApp" in p for p in g.group_posts()))
        post = next(p for p in g.group_posts() if "pas parti par WhatsApp" in p)
        assert post.startswith(f"#{ticket_id} ") and "appelez" in post
        assert "« Passez mardi à la médiathèque." in post  # which message, signed
        assert len(g.sent()) == before  # nothing left for the resident
        notes = [m for m in await g.transcript() if m["kind"] == "note"]
        assert len(notes) == 1 and "24 heures" in notes[0]["text"]  # shown in the inbox


async def test_twilio_63016_tells_the_mediators_the_same(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        ticket_id = await g.open_ticket()
        form = status_form("SM" + "9" * 32, "undelivered", "63016", to="whatsapp:" + RESIDENT)
        form["From"] = WHATSAPP_FROM
        assert await g.post(sms.STATUS_PATH, form) == 204
        await until(lambda: any("pas parti par WhatsApp" in p for p in g.group_posts()))
        assert any(p.startswith(f"#{ticket_id} ") for p in g.group_posts())


async def test_63016_when_sending_is_final_and_told(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        ticket_id = await g.open_ticket()
        g.twilio.fail_next(1, 400, 63016, OUTSIDE_WINDOW, shape="rfc9457")
        await g.mediator_answers(ticket_id, "Passez mardi.")
        await until(lambda: any("pas parti par WhatsApp" in p for p in g.group_posts()))
        assert g.twilio.requests == len(g.twilio.sent) + 1


@pytest.mark.parametrize(
    ("code", "permanent"), [(63016, True), (63024, True), (21910, True), (20500, False)]
)
def test_whatsapp_errors(code, permanent) -> None:
    error = whatsapp.delivery_error(TwilioError(400 if permanent else 500, code, "x", None))
    assert error.permanent is permanent


async def test_whatsapp_alone_serves_the_twilio_routes(tmp_path) -> None:
    """No SMS number: WhatsApp still gets its webhooks; an SMS is acknowledged, not kept."""
    async with gateway(tmp_path, twilio_from_number=None) as g:
        assert await g.post(sms.INBOUND_PATH, inbound_form("SMsms", "bonjour")) == 200
        assert await g.says("SMwa", "bonjour") == 200
        await until(lambda: len(g.sent()) == 1)
        await asyncio.sleep(0.3)
        assert len(g.twilio.sent) == 1
        assert [m["kind"] for m in await g.transcript()] == ["in", "bot"]


async def test_without_whatsapp_a_whatsapp_sender_is_never_answered_as_sms(tmp_path) -> None:
    async with gateway(tmp_path, twilio_whatsapp_from=None) as g:
        assert await g.says("SMwa", "bonjour") == 200
        await asyncio.sleep(0.5)
        assert g.twilio.requests == 0 and await g.transcript() == []


async def test_a_failure_in_the_middle_of_a_long_reply_resends_only_that_body(tmp_path) -> None:
    long = " ".join(f"mot{n}" for n in range(500))  # about 3,400 characters: 3 bodies
    async with gateway(tmp_path) as g:
        assert await g.says("SMw1", "bonjour") == 200  # the window opens
        await until(lambda: len(g.sent()) == 1)
        g.twilio.fail_next(1, status=500, after=1)  # the 2nd body fails once
        runtime = g.runtime
        async with runtime.database.session() as session:
            repo = Repository(session, runtime.cipher)
            contact = await repo.find_contact(Address("whatsapp", RESIDENT))
            await repo.queue_reply(contact, Reply(long), g.clock())
            await session.commit()
        for _ in range(50):
            if len(g.sent()) == 4:
                break
            g.clock.now += timedelta(seconds=120)
            runtime.worker.wake()
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        bodies = [m["Body"] for m in g.sent()[1:]]
        assert len(bodies) == 3 and " ".join(bodies).split() == long.split()


async def test_whatsapp_media_open_with_our_credentials(tmp_path) -> None:
    async with gateway(tmp_path) as g:
        url = g.twilio.add_media("MMwa2", "image/jpeg", b"jpeg-bytes")
        media = await fetch_media(g.runtime.settings, "whatsapp", url)
        assert (media.content_type, media.data) == ("image/jpeg", b"jpeg-bytes")
