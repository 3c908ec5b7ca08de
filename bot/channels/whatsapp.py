"""WhatsApp through Twilio: the same signed routes as SMS (told apart by `whatsapp:`), the
Messages API out from TWILIO_WHATSAPP_FROM, and WhatsApp's 24-hour window.

Outside the window (24 h after the person's last message) WhatsApp takes only an approved
template, sent with `ContentSid` and `ContentVariables` instead of `Body`
(content/whatsapp_modeles.yaml). A reply without a template does not leave: the mediators
are told, and so are they when Twilio says 63016 (outside the window) afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.backend import Backend
from bot.channels import sms
from bot.channels.twilio_api import MessagesApi, TwilioError, messages_api
from bot.config import Settings
from bot.content.whatsapp_templates import Template, load_whatsapp_templates
from bot.delivery import DeliveryError
from bot.logs import fields
from bot.messages import Address, InboundMessage, Location, reply_from_dict
from bot.rendering.gsm import split_body
from bot.rendering.parts import WHATSAPP_BODY
from bot.rendering.plain import render_plain

NAME = "whatsapp"
PREFIX = "whatsapp:"
WINDOW = timedelta(hours=24)  # WhatsApp's customer service window, from the last inbound
# Twilio's WhatsApp errors (twilio.com/docs/api/errors; WhatsApp's code in brackets)
OUTSIDE_WINDOW = 63016  # free text outside the 24-hour window (470)
NOT_ON_WHATSAPP = (63003, 63024)  # no WhatsApp at this number (1006), invalid recipient (1026)
WRONG_CHANNEL = 21910  # From and To not on the same channel: never from the SMS number
PERMANENT = (OUTSIDE_WINDOW, *NOT_ON_WHATSAPP, WRONG_CHANNEL, 63013, 63021, 63032)
CANNOT_LEAVE = (
    "⚠ Message pas parti par WhatsApp{excerpt} : l'habitant a écrit il y a plus de "
    "24 heures et WhatsApp n'accepte alors qu'un modèle approuvé. Autre moyen : attendez "
    "qu'il réécrive (le message partira alors si vous le renvoyez), ou appelez-le."
)
EXCERPT = 80  # characters of the message quoted back to the mediators
TEMPLATE_SENT = (
    "ℹ L'habitant a écrit il y a plus de 24 heures : WhatsApp n'a reçu que le modèle "
    "« vous avez une réponse, répondez pour la lire ». Renvoyez votre réponse quand il "
    "réécrit, ou appelez-le."
)

log = logging.getLogger("aiguillage.whatsapp")


def disabled_reason(settings: Settings) -> str | None:
    """Why WhatsApp cannot run with these settings, or None."""
    return sms.twilio_missing(settings, "TWILIO_WHATSAPP_FROM", settings.twilio_whatsapp_from)


def mask(value: str) -> str:
    """A WhatsApp number as mediators see it: `wa +33 6 •• •• •• 04`."""
    return f"wa {sms.mask(value)}"


def parse(text: str) -> str | None:
    """`whatsapp:+33612345678` as Twilio writes it (a bare number is an SMS address)."""
    number = text.removeprefix(PREFIX)
    return number if text.startswith(PREFIX) and number[:1] == "+" else None


def mount(app: web.Application) -> None:
    """Take Twilio's webhooks about `whatsapp:` addresses (the routes are SMS's)."""
    sms.serve(app, sms.TwilioRoute(PREFIX, inbound, status))


@contextlib.asynccontextmanager
async def running(
    app: web.Application, settings: Settings, backend: Backend
) -> AsyncIterator[WhatsAppSender]:
    """Open Twilio's client for the outbox; read the templates once."""
    sms.install_webhooks(app, settings, backend)
    templates, problems = load_whatsapp_templates(settings.content_dir)
    if problems:  # content check refuses these; a running gateway keeps going without
        log.error("whatsapp.templates_refused", extra=fields(problems=[str(p) for p in problems]))
    async with messages_api(settings) as api:
        yield WhatsAppSender(
            api, settings.twilio_whatsapp_from or "", settings.public_base_url, backend,
            templates,
        )  # fmt: skip


async def inbound(request: web.Request, form: dict[str, str]) -> web.Response:
    """A WhatsApp message: text, a shared location, media; stored once, then empty TwiML."""
    backend = request.app[sms.WEBHOOKS].backend
    media, refs = sms.attachments(form)
    message = InboundMessage(
        address=Address(NAME, form["From"].removeprefix(PREFIX)),
        text=sms.OPT_OUT_KEYWORDS.get(form.get("OptOutType", ""), form.get("Body", "")),
        platform_id=form["MessageSid"],
        received_at=backend.now(),
        location=location(form),
        media=media,
        media_refs=refs,
    )  # ProfileName and WaId are not kept: the number is all we need, encrypted
    if not await backend.receive(message):
        log.info("whatsapp.duplicate", extra=fields(sid=form["MessageSid"]))
    return web.Response(text=sms.EMPTY_TWIML, content_type="text/xml")


def location(form: dict[str, str]) -> Location | None:
    """A shared location (`Latitude`, `Longitude`; a place also has `Address`, `Label`)."""
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Location(latitude, longitude)


async def status(request: web.Request, form: dict[str, str]) -> web.Response:
    """Twilio's report on a WhatsApp message; 63016 (outside the window) tells mediators."""
    report = sms.delivery_report(form)
    backend = request.app[sms.WEBHOOKS].backend
    if report is not None:
        await backend.receive_report(NAME, report)
    if form.get("ErrorCode") == str(OUTSIDE_WINDOW) and form.get("To", "").startswith(PREFIX):
        address = Address(NAME, form["To"].removeprefix(PREFIX))
        await backend.tell_mediators(address, cannot_leave(""))
    return web.Response(status=204)


def cannot_leave(text: str) -> str:
    """What the mediators read about a message the window kept back (quoted if known)."""
    text = " ".join(text.split())
    quoted = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
    return CANNOT_LEAVE.format(excerpt=f" (« {quoted} »)" if quoted else "")


class WhatsAppSender:
    """Sends replies from TWILIO_WHATSAPP_FROM: free text inside the 24-hour window, an
    approved template outside it, else nothing (and the mediators are told)."""

    channel = NAME

    def __init__(
        self,
        api: MessagesApi,
        from_address: str,
        public_base_url: str | None,
        backend: Backend,
        templates: dict[str, Template],
    ) -> None:
        self.api = api
        self.from_address = from_address  # whatsapp:+…, never the SMS number (21910)
        self.status_callback = f"{public_base_url}{sms.STATUS_PATH}" if public_base_url else None
        self.backend = backend
        self.templates = templates

    async def send(self, address: Address, payload: dict[str, Any]) -> str | None:
        """Send the reply's bodies (or its template); returns the first message's SID."""
        reply = reply_from_dict(payload)
        heard = await self.backend.last_heard(address)
        if heard is not None and self.backend.now() - heard < WINDOW:
            bodies = split_body(render_plain(reply), WHATSAPP_BODY)
            sids = [await self._create(address, Body=body) for body in bodies]
            return sids[0] if sids else None
        template = self.templates.get(reply.key)
        if template is None:
            await self.backend.tell_mediators(address, cannot_leave(reply.text))
            raise DeliveryError("outside WhatsApp's 24-hour window, no template", permanent=True)
        sid = await self._create(
            address, ContentSid=template.content_sid, ContentVariables=template.variables
        )
        await self.backend.tell_mediators(address, TEMPLATE_SENT)
        return sid

    async def _create(self, address: Address, **content: str) -> str:
        """One message: `Body`, or `ContentSid` and `ContentVariables` (a template)."""
        form = {"To": PREFIX + address.value, "From": self.from_address, **content}
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        try:
            async with asyncio.timeout(sms.SEND_TIMEOUT):
                return await self.api.create(form)
        except TwilioError as error:
            if error.code == OUTSIDE_WINDOW:
                await self.backend.tell_mediators(address, cannot_leave(content.get("Body", "")))
            raise delivery_error(error) from error


def delivery_error(error: TwilioError) -> DeliveryError:
    """SMS's reading of Twilio's errors, plus WhatsApp's own that no retry can help."""
    found = sms.delivery_error(error)
    if error.code in PERMANENT:
        return DeliveryError(found.reason, permanent=True)
    return found
