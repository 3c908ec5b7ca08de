"""Fetching a resident's media from its platform, with our credentials, for the inbox.

Twilio keeps MMS and WhatsApp media behind the account's basic auth; Telegram gives a file's path
through getFile, then serves it under the bot's token. Neither reference leaves the server.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

import aiohttp

from bot.config import Settings

MAX_BYTES = 20 * 1024 * 1024  # Telegram's limit for bots' downloads; MMS are far smaller
TIMEOUT = aiohttp.ClientTimeout(total=30)
TWILIO_API = "https://api.twilio.com"
TELEGRAM_API = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class Media:
    content_type: str
    data: bytes


class MediaUnavailable(Exception):
    """The platform does not have the file (any more), or refused us."""


async def fetch_media(settings: Settings, channel: str, reference: str) -> Media:
    """The file behind a stored media reference; raises MediaUnavailable."""
    if not reference:
        raise MediaUnavailable("no file")
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        if (
            channel in ("sms", "whatsapp")
            and settings.twilio_account_sid
            and settings.twilio_auth_token
        ):
            return await _twilio(session, settings, reference)
        if channel == "telegram" and settings.telegram_bot_token:
            return await _telegram(session, settings, reference)
    raise MediaUnavailable(f"no credentials for {channel}")


async def _twilio(session: aiohttp.ClientSession, settings: Settings, url: str) -> Media:
    # Only our account's media: the reference came in a signed webhook, but our
    # credentials go to no other address.
    api = (settings.twilio_api_base_url or TWILIO_API).rstrip("/")
    if not url.startswith(f"{api}/2010-04-01/Accounts/{settings.twilio_account_sid}/"):
        raise MediaUnavailable("not a media URL of this account")
    auth = aiohttp.BasicAuth(settings.twilio_account_sid or "", settings.twilio_auth_token or "")
    return await _download(session, url, auth=auth)


async def _telegram(session: aiohttp.ClientSession, settings: Settings, file_id: str) -> Media:
    api = settings.telegram_api_base_url or TELEGRAM_API
    token = settings.telegram_bot_token
    async with session.post(f"{api}{token}/getFile", json={"file_id": file_id}) as response:
        answer = await response.json(content_type=None)
    path = (answer.get("result") or {}).get("file_path") if answer.get("ok") else None
    if not path:
        raise MediaUnavailable(str(answer.get("description", "getFile failed")))
    files = api[: -len("bot")] + "file/bot" if api.endswith("/bot") else f"{api}/file/bot"
    media = await _download(session, f"{files}{token}/{path}")
    guessed = mimetypes.guess_type(path)[0]
    return Media(guessed or media.content_type, media.data)


async def _download(
    session: aiohttp.ClientSession, url: str, auth: aiohttp.BasicAuth | None = None
) -> Media:
    async with session.get(url, auth=auth) as response:
        if response.status != 200:
            raise MediaUnavailable(f"HTTP {response.status}")
        data = await response.content.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise MediaUnavailable("file too large")
        return Media(response.content_type or "application/octet-stream", data)
