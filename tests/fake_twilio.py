"""A small Twilio REST API on loopback, driven by the real twilio client, and signed webhooks.

twilio = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
async with twilio.serving() as base_url: ...   # TWILIO_API_BASE_URL=base_url
twilio.fail_next(2, status=500)                 # the next two sends fail
twilio.hang_next(1, seconds=2)                  # the next send hangs, then fails (a timeout)
twilio.delay = 0.2                              # every send takes this long (in flight)
twilio.sent                                     # [{"To": ..., "Body": ...}, ...]
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import ClientResponse, ClientSession, encode_basic_auth, web
from twilio.request_validator import RequestValidator

from tests.loopback import loopback

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+33757000000"


@dataclass
class Failure:
    status: int
    code: int
    message: str


class FakeTwilio:
    """Answers `POST /2010-04-01/Accounts/{sid}/Messages.json` with basic auth."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent: list[dict[str, str]] = []  # accepted messages, in order
        self.requests = 0
        self.delay = 0.0
        self._hangs: list[float] = []
        self._failures: list[Failure] = []
        self._sids = (f"SM{n:032x}" for n in itertools.count(1))

    def fail_next(
        self, count: int, status: int = 500, code: int = 20500, message: str = "Internal Error"
    ) -> None:
        """Refuse the next `count` sends with this HTTP status and Twilio error code."""
        self._failures += [Failure(status, code, message)] * count

    def hang_next(self, count: int, seconds: float) -> None:
        """Hold the next `count` sends for `seconds`, then refuse them (Twilio unreachable)."""
        self._hangs += [seconds] * count

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Run on 127.0.0.1; yields the base URL to give the twilio client."""
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        async with loopback(app) as base:
            yield base

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        auth = request.headers.get("Authorization", "")
        expected = encode_basic_auth(self.account_sid, self.auth_token)
        if auth != expected or request.match_info["sid"] != self.account_sid:
            return _error(401, 20003, "Authenticate")
        if self._hangs:
            await asyncio.sleep(self._hangs.pop(0))
            return _error(503, 20503, "Service Unavailable")
        if self._failures:
            failure = self._failures.pop(0)
            return _error(failure.status, failure.code, failure.message)
        await asyncio.sleep(self.delay)
        form = {key: str(value) for key, value in (await request.post()).items()}
        if not form.get("To") or not form.get("Body") or not form.get("From"):
            return _error(400, 21604, "A 'To', 'From' and 'Body' are required")
        self.sent.append(form)
        sid = next(self._sids)
        body = {"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]}
        return web.json_response(body | {"account_sid": self.account_sid}, status=201)


def _error(status: int, code: int, message: str) -> web.Response:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return web.json_response(body, status=status)


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
    """POST a webhook as Twilio does: form-encoded, signed over the public URL."""
    headers = {"X-Twilio-Signature": signature(public_base_url + path, form, auth_token)}
    return await session.post(base_url + path, data=dict(form), headers=headers)
