"""A small Telegram Bot API on loopback, driven by the real python-telegram-bot.

telegram = FakeTelegram()
async with telegram.serving() as base_url: ...   # TELEGRAM_API_BASE_URL=base_url
telegram.push(telegram.text_update(42, "bonjour"))   # served by getUpdates
telegram.fail_next(2, 429, retry_after=1)         # the next two sends are refused
telegram.hang_next(1, seconds=6)                  # the next send hangs, then fails
telegram.sent("sendMessage")                      # parameters of accepted calls
telegram.migrate(-4001, -1004001)                 # the group became a supergroup
telegram.blocked.add(42)                          # that person blocked the bot

Sends are held to the Bot API's limits (4,096 characters of text once its entities are
parsed) and refused with its exact descriptions. The update builders give the shapes of
the Bot API documentation; where each comes from is listed in tests/README.md.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from tests.loopback import loopback

TOKEN = "123456:fake-telegram-token"
SENDING = frozenset({"sendMessage", "sendVenue", "sendLocation", "editMessageText"})
JSON_PARAMETERS = ("reply_markup", "allowed_updates")
DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
}
TOO_LONG = "Bad Request: message is too long"
EMPTY = "Bad Request: message text is empty"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
MAX_TEXT = 4096  # UTF-16 code units, counted after the entities are parsed
BOT_ID = 123456
ANONYMOUS_ADMIN = {  # the sender Telegram shows for an admin writing as the group
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
TAG = re.compile(r"<[^>]+>")


@dataclass
class Failure:
    status: int
    retry_after: int | None
    description: str | None = None


class FakeTelegram:
    """Answers `/bot<token>/<method>` like the Bot API, recording every call."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict]] = []  # (method, parameters), refused calls included
        self.webhook: dict = {}
        self._accepted: list[tuple[str, dict]] = []
        self._failures: list[Failure] = []
        self._passing = 0
        self._hangs: list[float] = []
        self._updates: list[dict] = []
        self._arrived = asyncio.Event()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self.migrated: dict[int, int] = {}  # old group id -> its supergroup's id
        self.blocked: set[int] = set()  # people who blocked the bot
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)

    def fail_next(
        self,
        count: int,
        status: int,
        retry_after: int | None = None,
        description: str | None = None,
        after: int = 0,
    ) -> None:
        """Refuse the next `count` sending calls with this status (and description), once
        `after` more have been accepted (a failure in the middle of a reply)."""
        self._failures += [Failure(status, retry_after, description)] * count
        self._passing = after

    def migrate(self, old: int, new: int) -> None:
        """The group `old` became the supergroup `new`: sends to `old` are refused."""
        self.migrated[old] = new

    def add_file(self, file_id: str, file_path: str, data: bytes) -> None:
        """A file a resident sent, for getFile and the file download URL."""
        self.files[file_id] = (file_path, data)

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
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
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

    def media_update(self, chat_id: int, kind: str, caption: str | None = None) -> dict:
        """A voice note, audio, document, photo, sticker, video or contact (no text)."""
        body = self._message(chat_id) | {kind: MEDIA[kind]}
        if caption is not None:
            body["caption"] = caption
        return self._update("message", body)

    def member_update(self, chat_id: int, old: str, new: str) -> dict:
        """The bot's membership in a private chat changed: "kicked" is a block."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Aiguillage", "username": "aig_bot"}
        message = self._message(chat_id)
        body = {"chat": message["chat"], "from": message["from"], "date": 1_780_000_050}

        def member(status: str) -> dict:  # a ban (kicked) always has its until_date
            return {"user": bot, "status": status} | (
                {"until_date": 0} if status == "kicked" else {}
            )

        body |= {"old_chat_member": member(old), "new_chat_member": member(new)}
        return self._update("my_chat_member", body)

    def topic_update(self, chat_id: int, text: str, thread_id: int) -> dict:
        """A message typed in a forum topic: its reply_to_message is the topic's first post."""
        update = self.group_update(chat_id, text)
        message = update["message"]
        message["chat"]["is_forum"] = True
        root = {
            "message_id": thread_id,
            "message_thread_id": thread_id,
            "date": 1_779_000_000,
            "chat": message["chat"],
            "from": message["from"],
            "forum_topic_created": {"name": "Tickets", "icon_color": 7322096},
        }
        message |= {"message_thread_id": thread_id, "is_topic_message": True}
        message["reply_to_message"] = root
        return update

    def anonymous_update(self, chat_id: int, text: str, signature: str | None = None) -> dict:
        """An admin writing anonymously, as the group (GroupAnonymousBot, sender_chat)."""
        update = self.group_update(chat_id, text)
        message = update["message"]
        message["from"] = ANONYMOUS_ADMIN
        message["sender_chat"] = message["chat"]
        if signature:
            message["author_signature"] = signature
        return update

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
        if method in SENDING and self._failures and not self._passing:
            failure = self._failures.pop(0)
            described = failure.description or DESCRIPTIONS[failure.status]
            description = described.format(retry_after=failure.retry_after)
            return _error(failure.status, description, failure.retry_after)
        if method in SENDING:
            refused = self._refusal(params)
            if refused is not None:
                return refused
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = await handler(params)
        self._accepted.append((method, params))
        if method in SENDING:
            self._passing = max(self._passing - 1, 0)
        return web.json_response({"ok": True, "result": result})

    def _refusal(self, params: dict) -> web.Response | None:
        """The Bot API's own refusals: a migrated group, a block, a text over the limit."""
        chat_id = int(params.get("chat_id", 0))
        if chat_id in self.migrated:
            return _error(400, MIGRATED, migrate_to=self.migrated[chat_id])
        if chat_id in self.blocked:
            return _error(403, DESCRIPTIONS[403])
        if "text" in params:
            text = str(params["text"])
            if params.get("parse_mode") == "HTML":
                text = html.unescape(TAG.sub("", text))
            if not text.strip():
                return _error(400, EMPTY)
            if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
                return _error(400, TOO_LONG)
        return None

    async def _getMe(self, params: dict) -> dict:  # noqa: N802 - Bot API method names
        return {"id": BOT_ID, "is_bot": True, "first_name": "Aiguillage", "username": "aig_bot"}

    async def _getFile(self, params: dict) -> dict:  # noqa: N802
        file_id = str(params.get("file_id", ""))
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(data)} | {
            "file_path": path
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=404)
        for path, data in self.files.values():
            if path == request.match_info["path"]:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

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
        chat_id = int(params["chat_id"])
        if chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup", "title": "Médiateurs"}
        else:
            chat = {"id": chat_id, "type": "private", "first_name": "Anne"}
        return {"message_id": next(self._message_ids), "date": 1_780_000_001, "chat": chat}


async def _parameters(request: web.Request) -> dict:
    """python-telegram-bot posts a form whose structured values are JSON strings."""
    if request.content_type == "application/json":
        return await request.json()
    form = {key: str(value) for key, value in (await request.post()).items()}
    return {k: json.loads(v) if k in JSON_PARAMETERS else v for k, v in form.items()}


def _error(
    status: int, description: str, retry_after: int | None = None, migrate_to: int | None = None
) -> web.Response:
    body: dict = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    if migrate_to is not None:
        body["parameters"] = {"migrate_to_chat_id": migrate_to}
    return web.json_response(body, status=status)


def _photo_size(n: int, width: int, height: int, size: int) -> dict:
    file_id = f"AgACAgQAAxkBAAIBZ2{n}"
    return {"file_id": file_id, "file_unique_id": f"AQAD{n}", "file_size": size} | {
        "width": width,
        "height": height,
    }


# What the Bot API puts in a message for each kind (courier's telegram handler tests,
# brought to the current Bot API with file_unique_id and the sticker's required fields).
MEDIA: dict[str, object] = {
    "voice": {
        "duration": 1,
        "mime_type": "audio/ogg",
        "file_id": "AwACAgQAAxkBAAIBZ2voice",
        "file_unique_id": "AgADvoice",
        "file_size": 4288,
    },
    "audio": {
        "duration": 12,
        "mime_type": "audio/mpeg",
        "file_name": "message.mp3",
        "file_id": "CQACAgQAAxkBAAIBZ2audio",
        "file_unique_id": "AgADaudio",
        "file_size": 190_412,
    },
    "document": {
        "file_name": "avis-imposition.pdf",
        "mime_type": "application/pdf",
        "file_id": "BQACAgQAAxkBAAIBZ2document",
        "file_unique_id": "AgADdocument",
        "file_size": 4_540_928,
    },
    "photo": [_photo_size(1, 51, 90, 1140), _photo_size(2, 720, 1280, 104_737)],
    "sticker": {
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": "👍",
        "file_id": "CAACAgIAAxkBAAIBZ2sticker",
        "file_unique_id": "AgADsticker",
        "file_size": 38_440,
    },
    "video": {
        "duration": 1,
        "width": 360,
        "height": 640,
        "mime_type": "video/mp4",
        "file_id": "BAACAgQAAxkBAAIBZ2video",
        "file_unique_id": "AgADvideo",
        "file_size": 257_507,
    },
    "contact": {"phone_number": "0788531373", "first_name": "Adolf Taxi"},
}
