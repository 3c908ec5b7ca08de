"""The Twilio channel: signed webhooks in, our Messages API client against a fake API out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import sms
from bot.config import Settings
from bot.delivery import DeliveryError
from bot.messages import Address, Choice, InboundMessage, Reply, reply_to_dict
from bot.store.models import Contact
from bot.store.repository import Repository
from tests.channels.recording import NOW, RecordingRuntime
from tests.conftest import SECRET
from tests.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilio,
    inbound_form,
    post_signed,
    signature,
    status_form,
)
from tests.harness import PUBLIC

RESIDENT = "+33600000001"


@dataclass
class Gateway:
    client: TestClient
    runtime: RecordingRuntime
    sender: sms.TwilioSender
    twilio: FakeTwilio

    async def post(self, path: str, form: dict[str, str], signed_over: str = PUBLIC, **kw):  # noqa: ANN003, ANN201
        base = str(self.client.make_url("")).rstrip("/")
        return await post_signed(self.client.session, base, path, form, signed_over, **kw)


@asynccontextmanager
async def sms_gateway(database) -> AsyncIterator[Gateway]:  # noqa: ANN001
    """The SMS channel alone, on a recording runtime, sending to a fake Twilio."""
    twilio = FakeTwilio()
    async with twilio.serving() as twilio_url:
        settings = Settings(
            secret_key=SECRET,
            public_base_url=PUBLIC,
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_from_number=FROM_NUMBER,
            twilio_api_base_url=twilio_url,
        )
        runtime = RecordingRuntime(settings, database)
        app = web.Application()
        sms.mount(app)
        async with (
            sms.running(app, settings, runtime) as sender,
            TestClient(TestServer(app)) as client,
        ):
            yield Gateway(client, runtime, sender, twilio)


def sms_form(sid: str = "SM1", body: str = "papi bellevue", sender: str = RESIDENT) -> dict:
    """Every field of Twilio's inbound webhook but Body (set by each test)."""
    form = inbound_form(sid, body, sender)
    del form["Body"]
    return form


INBOUND = [
    ("a resident's SMS", sms_form(), {}, 200, "papi bellevue"),
    ("forged signature", sms_form(), {"auth_token": "not-the-token"}, 403, None),
    (
        "signed over the proxy's inner URL",
        sms_form(),
        {"signed_over": "http://127.0.0.1"},
        403,
        None,
    ),
    ("missing MessageSid", {"From": RESIDENT, "Body": "x"}, {}, 400, None),
    # Advanced Opt-Out: Twilio already (un)subscribed the person; the engine hears the keyword
    ("opt-in keyword YES", inbound_form(body="YES", OptOutType="START"), {}, 200, "START"),
    ("opt-out keyword CANCEL", inbound_form(body="CANCEL", OptOutType="STOP"), {}, 200, "STOP"),
    ("help keyword", inbound_form(body="INFO", OptOutType="HELP"), {}, 200, "INFO"),
]
PICTURE = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"
MEDIA = [
    ("no media", inbound_form(), (), ()),
    (
        "a photo without text",
        inbound_form(body="", NumMedia="1", MediaContentType0="image/jpeg", MediaUrl0=PICTURE),
        ("photo",),
        (PICTURE,),
    ),
    (
        "a voice note and a vCard",
        inbound_form(
            body="",
            NumMedia="2",
            MediaContentType0="audio/amr",
            MediaUrl0=PICTURE + "a",
            MediaContentType1="text/x-vcard",
            MediaUrl1=PICTURE + "b",
        ),
        ("audio", "contact"),
        (PICTURE + "a", PICTURE + "b"),
    ),
    ("a NumMedia that is no number", inbound_form(NumMedia="x", MediaUrl0=PICTURE), (), ()),
]


@pytest.mark.parametrize(
    ("form", "media", "refs"), [c[1:] for c in MEDIA], ids=[c[0] for c in MEDIA]
)
async def test_inbound_media(sqlite_database, form, media, refs) -> None:
    async with sms_gateway(sqlite_database) as gateway:
        assert (await gateway.post(sms.INBOUND_PATH, form)).status == 200
        [received] = gateway.runtime.received
        assert (received.media, received.media_refs, received.text) == (media, refs, form["Body"])


@pytest.mark.parametrize(
    ("form", "signing", "status", "text"), [c[1:] for c in INBOUND], ids=[c[0] for c in INBOUND]
)
async def test_inbound_webhook(sqlite_database, form, signing, status, text) -> None:
    form = {**form, "Body": form.get("Body", "papi bellevue")}
    async with sms_gateway(sqlite_database) as gateway:
        response = await gateway.post(sms.INBOUND_PATH, form, **signing)
        assert response.status == status
        if text is None:
            assert gateway.runtime.received == []
            return
        assert await response.text() == sms.EMPTY_TWIML
        assert response.content_type == "text/xml"
        sid = form["MessageSid"]
        expected = InboundMessage(Address("sms", form["From"]), text, sid, NOW)
        assert gateway.runtime.received == [expected]


async def test_tampered_body_is_refused(sqlite_database) -> None:
    async with sms_gateway(sqlite_database) as gateway:
        signed = signature(PUBLIC + sms.INBOUND_PATH, {**sms_form(), "Body": "a"})
        form = {**sms_form(), "Body": "b"}
        headers = {"X-Twilio-Signature": signed}
        response = await gateway.client.post(sms.INBOUND_PATH, data=form, headers=headers)
        assert response.status == 403
        assert gateway.runtime.received == []


async def test_retried_webhook_gets_the_same_answer_and_is_stored_once(sqlite_database) -> None:
    async with sms_gateway(sqlite_database) as gateway:
        form = {**sms_form("SMdup"), "Body": "bonjour"}
        answers = [await gateway.post(sms.INBOUND_PATH, form) for _ in range(3)]
        assert [a.status for a in answers] == [200, 200, 200]
        assert {await a.text() for a in answers} == {sms.EMPTY_TWIML}
        assert len(gateway.runtime.received) == 1


MENU = Reply(
    "Que cherchez-vous ?", choices=(Choice("Un lieu", "find_place"), Choice("Être aidé", "x"))
)
OUTBOUND = [
    ("choices numbered", MENU, (), ["Que cherchez-vous ?\n1. Un lieu\n2. Etre aidé"], None),
    ("long body split", Reply("mot " * 500), (), [1599, 400], None),
    ("unsubscribed recipient", MENU, ((1, 400, 21610),), [], {"opted_out": True}),
    ("invalid number", MENU, ((1, 400, 21211),), [], {"permanent": True}),
    ("Twilio down", MENU, ((1, 500, 20500),), [], {"permanent": False, "opted_out": False}),
    ("too many requests", MENU, ((1, 429, 20429),), [], {"permanent": False}),
    # RFC 9457 problem details (bot.channels.twilio_api reads both shapes)
    ("9457 unsubscribed", MENU, ((1, 400, 21610, "rfc9457"),), [], {"opted_out": True}),
    ("9457 invalid number", MENU, ((1, 400, 21211, "rfc9457"),), [], {"permanent": True}),
    ("9457 not a mobile", MENU, ((1, 400, 21614, "rfc9457"),), [], {"permanent": True}),
    (
        "9457 too many requests, Retry-After",
        MENU,
        ((1, 429, 20429, "rfc9457", 7),),
        [],
        {"permanent": False, "opted_out": False, "retry_after": 7.0},
    ),
    ("9457 Twilio down", MENU, ((1, 503, 20503, "rfc9457"),), [], {"permanent": False}),
    ("legacy 429, Retry-After", MENU, ((1, 429, 20429, "legacy", 4),), [], {"retry_after": 4.0}),
    ("a proxy's HTML page", MENU, ((1, 502, 0, "html"),), [], {"permanent": False}),
]


@pytest.mark.parametrize(
    ("reply", "failures", "bodies", "error"),
    [c[1:] for c in OUTBOUND],
    ids=[c[0] for c in OUTBOUND],
)
async def test_sender(sqlite_database, reply, failures, bodies, error) -> None:
    async with sms_gateway(sqlite_database) as gateway:
        for count, status, code, *shape in failures:
            gateway.twilio.fail_next(count, status, code, "refused", *shape)
        send = gateway.sender.send(Address("sms", RESIDENT), reply_to_dict(reply))
        if error:
            with pytest.raises(DeliveryError) as raised:
                await send
            assert {k: getattr(raised.value, k) for k in error} == error
            return
        sid = await send
        sent = gateway.twilio.sent
        assert sid == "SM" + "1".zfill(32)
        assert {(m["To"], m["From"]) for m in sent} == {(RESIDENT, FROM_NUMBER)}
        assert {m["StatusCallback"] for m in sent} == {PUBLIC + sms.STATUS_PATH}
        assert len(sent) == len(bodies)
        got = [
            m["Body"] if isinstance(b, str) else len(m["Body"])
            for m, b in zip(sent, bodies, strict=True)
        ]
        assert got == bodies


STATUSES = [
    ("delivered", {"MessageStatus": "delivered"}, "delivered", None, False),
    (
        "undelivered",
        {"MessageStatus": "undelivered", "ErrorCode": "30003"},
        "failed",
        "30003",
        False,
    ),
    ("unsubscribed", {"MessageStatus": "failed", "ErrorCode": "21610"}, "failed", "21610", True),
    ("sent is not news", {"MessageStatus": "sent"}, "sent", None, False),
]


@pytest.mark.parametrize(
    ("form", "status", "error", "opted_out"),
    [c[1:] for c in STATUSES],
    ids=[c[0] for c in STATUSES],
)
async def test_status_callback(sqlite_database, form, status, error, opted_out) -> None:
    async with sms_gateway(sqlite_database) as gateway:
        item_id, contact_id = await sent_row(gateway.runtime, "SMabc")
        response = await gateway.post(sms.STATUS_PATH, {**status_form("SMabc", "sent"), **form})
        assert response.status == 204
        forged = await gateway.post(
            sms.STATUS_PATH, {"MessageSid": "SMabc", "MessageStatus": "delivered"}, auth_token="x"
        )
        assert forged.status == 403
        async with sqlite_database.session() as session:
            item = await Repository(session, gateway.runtime.cipher).outbox_item(item_id)
            contact = await session.get(Contact, contact_id)
        assert item.status == status
        assert (error or "") in (item.last_error or "")
        assert contact.opted_out is opted_out


async def sent_row(runtime: RecordingRuntime, sid: str) -> tuple[int, int]:
    """A reply already handed to Twilio under `sid`."""
    async with runtime.database.session() as session:
        repo = Repository(session, runtime.cipher)
        contact = await repo.get_or_create_contact(Address("sms", RESIDENT), NOW)
        await session.flush()
        item = await repo.queue_reply(contact, Reply("Bonjour"), NOW)
        await session.flush()
        await repo.mark_sent({item.id: sid}, NOW)
        await session.commit()
        return item.id, contact.id


ENCODED_URLS = [
    ("encoded space in the query", "/twilio/sms?site=Brest%20centre"),
    ("encoded UTF-8 and plus", "/twilio/sms?ville=Brest%20M%C3%A9tropole&n=%2B33"),
    ("encoded slash", "/twilio/sms?next=%2Finbox%2F"),
]


@pytest.mark.parametrize("path", [c[1] for c in ENCODED_URLS], ids=[c[0] for c in ENCODED_URLS])
async def test_signature_over_the_exact_url_twilio_called(sqlite_database, path) -> None:
    """Twilio signs the URL as written in the console, percent-encoding included."""
    async with sms_gateway(sqlite_database) as gateway:
        response = await gateway.post(path, inbound_form("SMenc", "bonjour"))
        assert response.status == 200
        assert [m.text for m in gateway.runtime.received] == ["bonjour"]
        other = await gateway.post(path, inbound_form("SMenc2", "x"), signed_over=PUBLIC + "/v2")
        assert other.status == 403
