"""Twilio's Messages API: one form POST per message, over aiohttp.

twilio's own REST client loads `requests` (about 5 MB of memory in every gateway) and builds
a resource object per call; what we need of it is one request and its errors. Twilio
answers a refusal in one of three shapes: its legacy JSON (`code`, `message`), RFC 9457
problem details (`type`, `title`, `status`, `code`, `detail`), or a proxy's page that is not
JSON; there the code is the HTTP status, as twilio's client reads it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.config import Settings

API = "https://api.twilio.com"
RFC_9457 = ("type", "title", "status", "code")  # the fields twilio's client requires too


class TwilioError(Exception):
    """Twilio refused a message: HTTP status, Twilio's error code, what it said, and the
    seconds its Retry-After asked for (if a number)."""

    def __init__(self, status: int, code: int, detail: str, retry_after: float | None) -> None:
        super().__init__(f"twilio {status} error {code}: {detail}")
        self.status, self.code, self.detail, self.retry_after = status, code, detail, retry_after


class MessagesApi:
    """`POST /2010-04-01/Accounts/{sid}/Messages.json` on our account."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        base = (settings.twilio_api_base_url or API).rstrip("/")
        self.url = f"{base}/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
        self.auth = aiohttp.BasicAuth(
            settings.twilio_account_sid or "", settings.twilio_auth_token or ""
        )
        self.session = session

    async def create(self, form: dict[str, str]) -> str:
        """Send one message (`To`, `From`, `Body` or `ContentSid`…); returns its SID."""
        async with self.session.post(self.url, data=form, auth=self.auth) as response:
            text = await response.text()
            if 200 <= response.status < 300:
                return str(json.loads(text)["sid"])
            wait = retry_after(response.headers.get("Retry-After"))
            raise refusal(response.status, text, wait)


@asynccontextmanager
async def messages_api(settings: Settings) -> AsyncIterator[MessagesApi]:
    """The API on its own connection pool, closed afterwards."""
    async with aiohttp.ClientSession() as session:
        yield MessagesApi(session, settings)


def refusal(status: int, text: str, wait: float | None) -> TwilioError:
    """The error of a refused request, from whichever shape its body has."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):  # a proxy's page
        return TwilioError(status, status, "the answer is not Twilio's JSON", wait)
    if all(key in body for key in RFC_9457):
        detail = body.get("detail") or body["title"]
        return TwilioError(int(body["status"]), int(body["code"]), str(detail), wait)
    code = body.get("code") or status
    return TwilioError(status, int(code), str(body.get("message", "")), wait)


def retry_after(value: str | None) -> float | None:
    """The seconds of a Retry-After header, when there is one and it is a number."""
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:  # an HTTP date: the backoff will do
        return None
