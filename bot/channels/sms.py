"""The SMS channel through Twilio: signed webhooks in, the Messages API out, statuses back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.backend import Backend, DeliveryReport
from bot.channels.twilio_api import MessagesApi, TwilioError, messages_api
from bot.config import Settings
from bot.delivery import DeliveryError
from bot.logs import fields
from bot.messages import Address, InboundMessage, reply_from_dict
from bot.rendering.gsm import render_sms

NAME = "sms"
INBOUND_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient" (the person sent STOP)
RETRYABLE_STATUSES = (401, 403, 429)  # credentials being fixed, rate limit: worth another try
TOO_MANY_REQUESTS = 20429
MAX_MEDIA = 10  # Twilio's most per message
SEND_TIMEOUT = 20.0  # seconds a send may take before it counts as failed
# Twilio's Advanced Opt-Out has already (un)subscribed the person when it sends OptOutType
# (its keywords: YES, UNSTOP, STOPALL, CANCEL...); the engine hears the word it knows.
OPT_OUT_KEYWORDS = {"START": "START", "STOP": "STOP"}

log = logging.getLogger("aiguillage.sms")


def disabled_reason(settings: Settings) -> str | None:
    """Why SMS cannot run with these settings, or None."""
    return twilio_missing(settings, "TWILIO_FROM_NUMBER", settings.twilio_from_number)


def twilio_missing(settings: Settings, sender_name: str, sender: str | None) -> str | None:
    """The Twilio settings a sender of ours lacks (its own sender setting included)."""
    required = {
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        sender_name: sender,
        "PUBLIC_BASE_URL": settings.public_base_url,  # Twilio signs the public URL it calls
    }
    missing = [name for name, value in required.items() if not value]
    return f"{', '.join(missing)} not set" if missing else None


def mask(value: str) -> str:
    """Just enough of a phone number to tell residents apart: `+33 6 •• •• •• 42`."""
    if value.startswith("+33") and len(value) == 12:
        return f"+33 {value[3]} •• •• •• {value[-2:]}"
    return f"{value[:3]} ••• {value[-2:]}"


def parse(text: str) -> str | None:
    """A phone number typed as is (`+33612345678`) is an SMS address."""
    return text if text[:1] == "+" or text[:1].isdigit() else None


@dataclass
class TwilioWebhooks:
    """What the webhook routes need once the gateway runs."""

    backend: Backend
    validator: RequestValidator
    public_base_url: str


WEBHOOKS = web.AppKey("twilio_webhooks", TwilioWebhooks)


Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.Response]]


@dataclass(frozen=True)
class TwilioRoute:
    """A kind of address Twilio posts about to our routes, told apart by its address prefix."""

    prefix: str  # "" for SMS, "whatsapp:" for WhatsApp
    inbound: Handler  # a signed webhook from a person
    status: Handler  # a signed status callback on one of our messages


# Twilio posts SMS and WhatsApp to the same URLs (operators point both senders at one
# webhook, as courier's TwiML handler serves both): each Twilio channel registers its prefix.
SENDERS = web.AppKey("twilio_senders", dict[str, TwilioRoute])


def mount(app: web.Application) -> None:
    """Add Twilio's webhook routes, for SMS senders."""
    serve(app, TwilioRoute("", inbound_sms, status_sms))


def serve(app: web.Application, sender: TwilioRoute) -> None:
    """Route Twilio's webhooks about addresses with `sender.prefix` to its handlers; the
    first Twilio channel mounted adds the routes."""
    if SENDERS not in app:
        app[SENDERS] = {}
        app.router.add_post(INBOUND_PATH, inbound)
        app.router.add_post(STATUS_PATH, status)
    app[SENDERS][sender.prefix] = sender


def sender_for(request: web.Request, address: str) -> TwilioRoute | None:
    """The sender registered for this address's prefix: `whatsapp:+33…` → "whatsapp:", a
    plain number → "" (SMS). A prefix nobody registered is nobody's, never SMS's."""
    scheme, colon, _ = address.partition(":")
    return request.app[SENDERS].get(f"{scheme}:" if colon else "")


def install_webhooks(app: web.Application, settings: Settings, backend: Backend) -> None:
    """What the webhook routes check and call, once, for whichever Twilio channel runs."""
    if WEBHOOKS not in app:
        app[WEBHOOKS] = TwilioWebhooks(
            backend, RequestValidator(settings.twilio_auth_token), settings.public_base_url or ""
        )


@contextlib.asynccontextmanager
async def running(
    app: web.Application, settings: Settings, backend: Backend
) -> AsyncIterator[TwilioSender]:
    """Open Twilio's Messages API for the outbox and make the webhooks reach the backend."""
    install_webhooks(app, settings, backend)
    async with messages_api(settings) as api:
        yield TwilioSender(api, settings.twilio_from_number or "", settings.public_base_url)


async def signed_form(request: web.Request) -> dict[str, str]:
    """The webhook's form, once its signature is checked against our public URL; else 403."""
    webhooks = request.app[WEBHOOKS]
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPUnsupportedMediaType(text="Twilio posts application/x-www-form-urlencoded\n")
    form = await request.post()
    # The gateway sits behind a proxy: Twilio signed the public URL, not the one we see,
    # and signed it as written in the console: percent-encoding kept (raw_path, not path).
    url = webhooks.public_base_url + request.raw_path
    signature = request.headers.get("X-Twilio-Signature", "")
    if not webhooks.validator.validate(url, form, signature):
        log.warning("sms.bad_signature", extra=fields(path=request.path))
        raise web.HTTPForbidden(text="invalid signature\n")
    return {key: str(value) for key, value in form.items()}


async def inbound(request: web.Request) -> web.Response:
    """A person's message, signed: handed to the channel of its sender (`whatsapp:+33…`
    to WhatsApp, a plain number to SMS)."""
    form = await signed_form(request)
    if not form.get("MessageSid") or not form.get("From"):
        raise web.HTTPBadRequest(text="MessageSid and From are required\n")
    sender = sender_for(request, form["From"])
    if sender is None:  # e.g. WhatsApp not configured: never answered as an SMS (21910)
        log.warning("twilio.no_channel", extra=fields(sid=form["MessageSid"]))
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")
    return await sender.inbound(request, form)


async def inbound_sms(request: web.Request, form: dict[str, str]) -> web.Response:
    """A resident's SMS: stored once (by MessageSid), then empty TwiML at once."""
    backend = request.app[WEBHOOKS].backend
    media, refs = attachments(form)
    message = InboundMessage(
        address=Address(NAME, form["From"]),
        text=OPT_OUT_KEYWORDS.get(form.get("OptOutType", ""), form.get("Body", "")),
        platform_id=form["MessageSid"],
        received_at=backend.now(),
        media=media,
        media_refs=refs,
    )
    if not await backend.receive(message):
        log.info("sms.duplicate", extra=fields(sid=form["MessageSid"]))
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


def attachments(form: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The MMS's media: kinds from MediaContentType{n}, references from MediaUrl{n}."""
    given = form.get("NumMedia", "0")
    count = min(int(given), MAX_MEDIA) if given.isascii() and given.isdigit() else 0
    found = [
        (media_kind(form.get(f"MediaContentType{n}", "")), form[f"MediaUrl{n}"])
        for n in range(count)
        if form.get(f"MediaUrl{n}")
    ]
    return tuple(kind for kind, _ in found), tuple(url for _, url in found)


def media_kind(content_type: str) -> str:
    """Our name for a MIME type: photo, audio, video, contact (a vCard) or document."""
    family = content_type.split("/", 1)[0].lower()
    if content_type.lower() in ("text/vcard", "text/x-vcard"):
        return "contact"
    return {"image": "photo", "audio": "audio", "video": "video"}.get(family, "document")


async def status(request: web.Request) -> web.Response:
    """Twilio's delivery report on one of our messages, for the channel that sent it."""
    form = await signed_form(request)
    sender = sender_for(request, form.get("From", "")) or sender_for(request, form.get("To", ""))
    if sender is None:
        return web.Response(status=204)
    return await sender.status(request, form)


def delivery_report(form: dict[str, str]) -> DeliveryReport | None:
    """A final status as a report (None for `queued`, `sent`…); 21610 means opted out."""
    state, sid = form.get("MessageStatus", ""), form.get("MessageSid", "")
    if state not in ("delivered", "failed", "undelivered", "read") or not sid:
        return None
    code = form.get("ErrorCode", "")
    return {
        "platform_id": sid,
        "outcome": "failed" if state in ("failed", "undelivered") else "delivered",
        "error": f"{state}: twilio error {code}",
        "opted_out": code == str(UNSUBSCRIBED),
    }


async def status_sms(request: web.Request, form: dict[str, str]) -> web.Response:
    """Twilio's delivery report on a reply: delivered, failed; 21610 means opted out."""
    report = delivery_report(form)
    if report is not None:  # spooled in an outage
        await request.app[WEBHOOKS].backend.receive_report(NAME, report)
    return web.Response(status=204)


class TwilioSender:
    """Sends replies with Twilio's Messages API, asking for delivery reports."""

    channel = NAME

    def __init__(self, api: MessagesApi, from_number: str, public_base_url: str | None) -> None:
        self.api = api
        self.from_number = from_number
        self.status_callback = f"{public_base_url}{STATUS_PATH}" if public_base_url else None

    async def send(self, address: Address, payload: dict[str, Any]) -> str | None:
        """Send each body of the reply; returns the first message's SID."""
        bodies = render_sms(reply_from_dict(payload))
        sids = [await self._create(address.value, body) for body in bodies]
        return sids[0] if sids else None

    async def _create(self, to: str, body: str) -> str:
        form = {"To": to, "From": self.from_number, "Body": body}
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                return await self.api.create(form)
        except TwilioError as error:
            raise delivery_error(error) from error


def delivery_error(error: TwilioError) -> DeliveryError:
    """What the outbox should do about a refused message (bot.channels.twilio_api reads
    the three shapes of Twilio's refusals)."""
    status, code, wait, reason = error.status, error.code, error.retry_after, str(error)
    if code == UNSUBSCRIBED:
        return DeliveryError(reason, opted_out=True)
    if status == 429 or code == TOO_MANY_REQUESTS:
        return DeliveryError(reason, retry_after=wait)
    retryable = status >= 500 or status in RETRYABLE_STATUSES
    return DeliveryError(reason, permanent=not retryable, retry_after=wait if retryable else None)
