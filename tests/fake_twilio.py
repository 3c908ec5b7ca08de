"""A small Twilio REST API on loopback, driven by our Messages API client, and signed webhooks.

twilio = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
async with twilio.serving() as base_url: ...   # TWILIO_API_BASE_URL=base_url
twilio.fail_next(2, status=500)                 # the next two sends fail (legacy JSON body)
twilio.fail_next(1, 400, 21610, shape="rfc9457")  # an RFC 9457 problem body
twilio.fail_next(1, 502, shape="html")          # a proxy's HTML page, not JSON
twilio.fail_next(1, 500, after=1)               # the send after the next one fails
twilio.hang_next(1, seconds=2)                  # the next send hangs, then fails (a timeout)
twilio.delay = 0.2                              # every send takes this long (in flight)
twilio.sent                                     # [{"To": ..., "Body": ...}, ...]
inbound_form("SM1", "bonjour")                  # the 20 fields Twilio posts for an SMS
whatsapp_form("SM2", "", Latitude="48.39", Longitude="-4.48")  # a WhatsApp location
twilio.fail_next(1, 400, 63016, OUTSIDE_WINDOW) # WhatsApp: outside the 24-hour window

The shapes and where they come from are listed in tests/README.md.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import ClientResponse, ClientSession, encode_basic_auth, web
from twilio.request_validator import RequestValidator
from yarl import URL

from tests.loopback import loopback

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+33757000000"
MAX_BODY = 1600  # Twilio refuses longer bodies with error 21617 (WhatsApp's limit too)
WHATSAPP = "whatsapp:"
WHATSAPP_FROM = "whatsapp:+14155238886"  # Twilio's WhatsApp sandbox number
OUTSIDE_WINDOW = "Outside messaging window. For WhatsApp, use a Message Template instead"
MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"
MEDIA_PATH = "/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}"


@dataclass
class Failure:
    status: int
    code: int
    message: str
    shape: str  # "legacy" JSON, "rfc9457" problem details, "html" from a proxy
    retry_after: int | None = None


class FakeTwilio:
    """Answers `POST /2010-04-01/Accounts/{sid}/Messages.json` with basic auth, and serves
    inbound media (`GET .../Messages/{MM}/Media/{ME}`, basic auth too)."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent: list[dict[str, str]] = []  # accepted messages, in order
        self.requests = 0
        self.delay = 0.0
        self.media: dict[str, tuple[str, bytes]] = {}  # media path -> (content type, bytes)
        self.base_url = ""
        self._hangs: list[float] = []
        self._failures: list[Failure] = []
        self._passing = 0
        self._sids = (f"SM{n:032x}" for n in itertools.count(1))

    def fail_next(
        self,
        count: int,
        status: int = 500,
        code: int = 20500,
        message: str = "Internal Error",
        shape: str = "legacy",
        retry_after: int | None = None,
        after: int = 0,
    ) -> None:
        """Refuse the next `count` sends with this HTTP status and Twilio error code, once
        `after` more sends have been accepted (a failure in the middle of a reply)."""
        self._failures += [Failure(status, code, message, shape, retry_after)] * count
        self._passing = after

    def hang_next(self, count: int, seconds: float) -> None:
        """Hold the next `count` sends for `seconds`, then refuse them (Twilio unreachable)."""
        self._hangs += [seconds] * count

    def add_media(self, message_sid: str, content_type: str, data: bytes) -> str:
        """Store a resident's picture; returns its MediaUrl as Twilio gives it in a webhook."""
        path = MEDIA_PATH.format(sid=self.account_sid, message=message_sid, media="ME" + "1" * 32)
        self.media[path] = (content_type, data)
        return self.base_url + path

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Run on 127.0.0.1; yields the base URL to give the gateway (TWILIO_API_BASE_URL)."""
        app = web.Application()
        app.router.add_post(MESSAGES_PATH, self._create)
        app.router.add_get(MEDIA_PATH, self._media)
        async with loopback(app) as base:
            self.base_url = base
            yield base

    def _authorised(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        expected = encode_basic_auth(self.account_sid, self.auth_token)
        return auth == expected and request.match_info["sid"] == self.account_sid

    async def _media(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(Failure(401, 20003, "Authenticate", "legacy"))
        found = self.media.get(request.path)
        if found is None:
            return _error(Failure(404, 20404, "The requested resource was not found", "legacy"))
        return web.Response(body=found[1], content_type=found[0])

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        if not self._authorised(request):
            return _error(Failure(401, 20003, "Authenticate", "legacy"))
        if self._hangs:
            await asyncio.sleep(self._hangs.pop(0))
            return _error(Failure(503, 20503, "Service Unavailable", "legacy"))
        if self._failures and not self._passing:
            return _error(self._failures.pop(0), request.path)
        await asyncio.sleep(self.delay)
        form = {key: str(value) for key, value in (await request.post()).items()}
        if not form.get("To") or not (form.get("Body") or form.get("ContentSid")):
            return _error(Failure(400, 21604, "A 'To', 'From' and 'Body' are required", "legacy"))
        if not form.get("From"):
            return _error(Failure(400, 21604, "A 'To', 'From' and 'Body' are required", "legacy"))
        if form["To"].startswith(WHATSAPP) != form["From"].startswith(WHATSAPP):
            message = "Invalid From and To pair. From and To should be of the same channel"
            return _error(Failure(400, 21910, message, "legacy"))
        if len(form.get("Body", "")) > MAX_BODY:
            message = "The concatenated message body exceeds the 1600 character limit"
            return _error(Failure(400, 21617, message, "legacy"))
        self.sent.append(form)
        self._passing = max(self._passing - 1, 0)
        sid = next(self._sids)
        body = {"sid": sid, "status": "queued", "to": form["To"], "body": form.get("Body", "")}
        return web.json_response(body | {"account_sid": self.account_sid}, status=201)


def _error(failure: Failure, path: str = "") -> web.Response:
    """Twilio's error bodies: the legacy JSON, RFC 9457 problem details, or a proxy's page."""
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
    if failure.shape == "html":
        page = f"<html><body><h1>{failure.status} {failure.message}</h1></body></html>"
        return web.Response(
            status=failure.status, text=page, content_type="text/html", headers=headers
        )
    if failure.shape == "rfc9457":
        body = {
            "type": f"https://www.twilio.com/docs/errors/{failure.code}",
            "title": failure.message,
            "status": failure.status,
            "code": failure.code,
            "detail": failure.message,
            "instance": path,
        }
        return web.json_response(
            body, status=failure.status, content_type="application/problem+json", headers=headers
        )
    more_info = f"https://www.twilio.com/docs/errors/{failure.code}"
    body = {
        "code": failure.code,
        "message": failure.message,
        "more_info": more_info,
        "status": failure.status,
    }
    return web.json_response(body, status=failure.status, headers=headers)


def inbound_form(
    sid: str = "SM" + "e287d7109a5a925f182f0e07fe5b223b",
    body: str = "papi bellevue",
    sender: str = "+33600000001",
    to: str = FROM_NUMBER,
    **extra: str,
) -> dict[str, str]:
    """Every field Twilio posts for an inbound SMS (courier's twiml `receiveValid`, with a
    French sender and receiver); `extra` adds or replaces fields (OptOutType, MediaUrl0...)."""
    form = {
        "ToCountry": "FR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "FR",
        "To": to,
        "MessagingServiceSid": "MG" + "d" * 32,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    return form | extra


def whatsapp_form(
    sid: str = "SM" + "a" * 32,
    body: str = "bonjour",
    sender: str = "+33600000004",
    to: str = WHATSAPP_FROM,
    **extra: str,
) -> dict[str, str]:
    """The fields Twilio posts for an inbound WhatsApp message (its messaging webhook's
    WhatsApp parameters: `whatsapp:` From and To, ProfileName, WaId, MessageType; a shared
    location adds Latitude, Longitude and, for a place, Address and Label)."""
    form = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Amina",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": sender.removeprefix("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": WHATSAPP + sender,
        "ApiVersion": "2010-04-01",
    }
    return form | extra


def status_form(sid: str, status: str, error_code: str = "", to: str = "+33600000001") -> dict:
    """A status callback on one of our messages, with the fields Twilio posts."""
    form = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessagingServiceSid": "MG" + "d" * 32,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": FROM_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    return form | ({"ErrorCode": error_code} if error_code else {})


def signature(url: str, form: Mapping[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """The `X-Twilio-Signature` Twilio would send for this public URL and form."""
    return RequestValidator(auth_token).compute_signature(url, dict(form))


async def post_signed(
    session: ClientSession,
    base_url: str,
    path: str,
    form: Mapping[str, str],
    public_base_url: str,
    auth_token: str = AUTH_TOKEN,
) -> ClientResponse:
    """POST a webhook as Twilio does: form-encoded, signed over the public URL it called
    (`path` exactly as configured in the console, percent-encoding included)."""
    headers = {"X-Twilio-Signature": signature(public_base_url + path, form, auth_token)}
    url = URL(base_url + path, encoded=True)  # as written: aiohttp would re-encode it
    return await session.post(url, data=dict(form), headers=headers)
