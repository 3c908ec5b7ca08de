"""A small Telegram Bot API on loopback, driven by the real python-telegram-bot.

telegram = FakeTelegram()
async with telegram.serving() as base_url: ...   # TELEGRAM_API_BASE_URL=base_url
telegram.push(telegram.text_update(42, "bonjour"))   # served by getUpdates
telegram.fail_next(2, 429, retry_after=1)         # the next two sends are refused
telegram.hang_next(1, seconds=6)                  # the next send hangs, then fails
telegram.sent("sendMessage")                      # parameters of accepted calls
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from tests.loopback import loopback

TOKEN = "123456:fake-telegram-token"
SENDING = frozenset({"sendMessage", "sendVenue", "sendLocation", "editMessageText"})
JSON_PARAMETERS = ("reply_markup", "allowed_updates")
DESCRIPTIONS = {
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry later",
    500: "Internal Server Error",
}


@dataclass
class Failure:
    status: int
    retry_after: int | None


class FakeTelegram:
    """Answers `/bot<token>/<method>` like the Bot API, recording every call."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict]] = []  # (method, parameters), refused calls included
        self.webhook: dict = {}
        self._accepted: list[tuple[str, dict]] = []
        self._failures: list[Failure] = []
        self._hangs: list[float] = []
        self._updates: list[dict] = []
        self._arrived = asyncio.Event()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)

    def fail_next(self, count: int, status: int, retry_after: int | None = None) -> None:
        """Refuse the next `count` sending calls with this status."""
        self._failures += [Failure(status, retry_after)] * count

    def hang_next(self, count: int, seconds: float) -> None:
        """Hold the next `count` sending calls for `seconds`, then refuse them (a timeout)."""
        self._hangs += [seconds] * count

    def sent(self, method: str = "sendMessage") -> list[dict]:
        """Parameters of the accepted calls of `method`, in order."""
        return [params for name, params in self._accepted if name == method]

    def push(self, update: dict) -> None:
        """Queue an update for getUpdates (polling mode)."""
        self._updates.append(update)
        self._arrived.set()

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Run on 127.0.0.1; yields the base URL for python-telegram-bot (`.../bot`)."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._call)
        async with loopback(app) as base:
            yield f"{base}/bot"

    # -- updates a resident causes ----------------------------------------------------------
    def text_update(self, chat_id: int, text: str, language: str = "fr") -> dict:
        return self._update("message", self._message(chat_id, language) | {"text": text})

    def location_update(self, chat_id: int, latitude: float, longitude: float) -> dict:
        location = {"latitude": latitude, "longitude": longitude}
        return self._update("message", self._message(chat_id) | {"location": location})

    def edited_update(self, chat_id: int, text: str) -> dict:
        message = self._message(chat_id) | {"text": text, "edit_date": 1_780_000_100}
        return self._update("edited_message", message)

    def group_update(self, chat_id: int, text: str) -> dict:
        message = self._message(chat_id) | {"text": text}
        message["chat"] = {"id": chat_id, "type": "supergroup", "title": "Médiateurs"}
        return self._update("message", message)

    def callback_update(self, chat_id: int, value: str, label: str) -> dict:
        keyboard = [[{"text": label, "callback_data": value}]]
        message = self._message(chat_id) | {
            "text": "Que cherchez-vous ?",
            "reply_markup": {"inline_keyboard": keyboard},
        }
        query = {"id": f"cq{chat_id}", "from": message["from"], "chat_instance": "1"}
        return self._update("callback_query", query | {"message": message, "data": value})

    def _update(self, kind: str, body: dict) -> dict:
        return {"update_id": next(self._update_ids), kind: body}

    def _message(self, chat_id: int, language: str = "fr") -> dict:
        user = {"id": chat_id, "is_bot": False, "first_name": "Anne", "language_code": language}
        chat = {"id": chat_id, "type": "private", "first_name": "Anne"}
        return {"message_id": next(self._message_ids), "date": 1_780_000_000} | {
            "chat": chat,
            "from": user,
        }

    # -- the API ------------------------------------------------------------------------------
    async def _call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method, params = request.match_info["method"], await _parameters(request)
        self.calls.append((method, params))
        if method in SENDING and self._hangs:
            await asyncio.sleep(self._hangs.pop(0))
            return _error(500, DESCRIPTIONS[500])
        if method in SENDING and self._failures:
            failure = self._failures.pop(0)
            return _error(failure.status, DESCRIPTIONS[failure.status], failure.retry_after)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = await handler(params)
        self._accepted.append((method, params))
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, params: dict) -> dict:  # noqa: N802 - Bot API method names
        return {"id": 123456, "is_bot": True, "first_name": "Aiguillage", "username": "aig_bot"}

    async def _getUpdates(self, params: dict) -> list[dict]:  # noqa: N802
        offset = int(params.get("offset", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed
        if not self._updates:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params.get("timeout", 0)))
            except TimeoutError:
                return []
        return list(self._updates)

    async def _setWebhook(self, params: dict) -> bool:  # noqa: N802
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict) -> bool:  # noqa: N802
        self.webhook = {}
        return True

    async def _answerCallbackQuery(self, params: dict) -> bool:  # noqa: N802
        return True

    async def _sendMessage(self, params: dict) -> dict:  # noqa: N802
        return self._sent(params) | {"text": params["text"]}

    async def _editMessageText(self, params: dict) -> dict:  # noqa: N802
        return self._sent(params) | {"text": params["text"]}

    async def _sendVenue(self, params: dict) -> dict:  # noqa: N802
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        return self._sent(params) | {"venue": venue, "location": location}

    async def _sendLocation(self, params: dict) -> dict:  # noqa: N802
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        return self._sent(params) | {"location": location}

    def _sent(self, params: dict) -> dict:
        chat = {"id": int(params["chat_id"]), "type": "private", "first_name": "Anne"}
        return {"message_id": next(self._message_ids), "date": 1_780_000_001, "chat": chat}


async def _parameters(request: web.Request) -> dict:
    """python-telegram-bot posts a form whose structured values are JSON strings."""
    if request.content_type == "application/json":
        return await request.json()
    form = {key: str(value) for key, value in (await request.post()).items()}
    return {k: json.loads(v) if k in JSON_PARAMETERS else v for k, v in form.items()}


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
