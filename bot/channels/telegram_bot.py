"""The Telegram channel's workings: python-telegram-bot as the transport only, webhook or
polling. Imported only when the channel is on (`bot.channels.telegram`): the library is
about 18 MB of memory.

Webhook mode (PUBLIC_BASE_URL is https): the gateway registers its own URL with a secret
token and stores each update before answering Telegram's POST. Polling mode (local use):
a loop on getUpdates that confirms an update (next offset) only once it is stored.
Updates are not pushed to PTB's update_queue: that would acknowledge before storing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from bot.backend import Backend
from bot.channels.telegram import NAME, SECRET_HEADER, WEBHOOK_PATH, webhook_mode
from bot.config import Settings
from bot.delivery import DeliveryError, Pace
from bot.logs import fields
from bot.messages import (
    START,
    Address,
    GroupMessage,
    InboundMessage,
    Location,
    Reply,
    reply_from_dict,
)
from bot.metrics import UNUSABLE
from bot.outage import is_outage
from bot.rendering.plain import render_plain

# my_chat_member: a person blocking the bot ("kicked") or unblocking it ("member").
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates call open
POLL_PAUSE = 5.0  # seconds before polling again after an error
ANONYMOUS_ADMIN = "l'équipe"  # an anonymous admin of the mediators' group who set no signature
BLOCKED = "kicked"  # the bot's status in a private chat its person blocked

log = logging.getLogger("aiguillage.telegram")


def mount(app: web.Application) -> None:
    """Add the webhook route (it refuses everything in polling mode: there is no secret)."""
    app.router.add_post(WEBHOOK_PATH, webhook)


@dataclass
class ChatMoves:
    """Groups that became supergroups (old id -> new id), kept in the database: the
    mediators' group is posted to, and listened to, at its new id from then on."""

    backend: Backend
    settings: Settings
    moved: dict[int, int] = field(default_factory=dict)

    def current(self, chat_id: int) -> int:
        seen = {chat_id}
        while chat_id in self.moved and self.moved[chat_id] not in seen:
            chat_id = self.moved[chat_id]
            seen.add(chat_id)
        return chat_id

    async def load(self) -> None:
        """Read the moves recorded earlier (the core's group notifier follows them)."""
        self.moved = await self.backend.chat_moves()

    async def record(self, old: int, new: int) -> None:
        """Remember a move (told by a refused send or the group's service message)."""
        if self.moved.get(old) == new:
            return
        await self.backend.record_chat_move(old, new)
        self.moved[old] = new
        log.warning("telegram.chat_moved", extra=fields(old=old, new=new))

    def group_id(self) -> int | None:
        """The mediators' group's id now (MEDIATORS_CHAT_ID, or where it moved)."""
        configured = self.settings.mediators_chat_id
        return None if configured is None else self.current(configured)


@dataclass
class TelegramUpdates:
    """Turns updates into stored inbound messages, from the webhook or the polling loop."""

    backend: Backend
    bot: Bot
    secret: str | None
    moves: ChatMoves

    async def accept(self, update: Update) -> None:
        """Handle one update. One the gateway cannot use is logged, counted and acknowledged:
        Telegram would send it again for a day (webhook), or hold every later update behind
        it (polling). A database outage is not the update's fault: it is raised, retried."""
        try:
            await self._accept(update)
        except Exception as error:
            if is_outage(error):
                raise
            UNUSABLE.labels(NAME, type(error).__name__).inc()
            log.exception("telegram.unusable", extra=fields(update_id=update.update_id))

    async def _accept(self, update: Update) -> None:
        """Store the update's message (once per update_id); answer a pressed button."""
        message = update.message
        if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
            await self._migration(message)
            return
        if is_from_group(update, self.moves.group_id()):
            await self.backend.receive_group(from_update(update))
            return
        if update.my_chat_member is not None:
            await self._membership(update)
            return
        inbound = inbound_from_update(update, self.backend.now())
        if inbound is not None and inbound.choice == START:
            await self.backend.opt_in(inbound.address)  # Restart after a block
        if inbound is None:
            UNUSABLE.labels(NAME, "ignored").inc()
            log.info("telegram.ignored", extra=fields(update_id=update.update_id))
        elif not await self.backend.receive(inbound):
            log.info("telegram.duplicate", extra=fields(update_id=update.update_id))
        if update.callback_query:  # stops the button's spinner; harmless if already answered
            try:
                await update.callback_query.answer()
            except TelegramError as error:
                log.info("telegram.answer_failed", extra=fields(error=str(error)))

    async def _migration(self, message: Message) -> None:
        """The service messages of a group becoming a supergroup: posted in the old group
        (migrate_to_chat_id) and in the new one (migrate_from_chat_id)."""
        if message.migrate_to_chat_id:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return  # the caller passes only these two service messages
        configured = self.moves.settings.mediators_chat_id
        if configured is not None and self.moves.current(configured) == old:
            await self.moves.record(old, new)

    async def _membership(self, update: Update) -> None:
        """A person blocked the bot (opted out) or unblocked it (opted in again; their
        Restart button then sends /start, which is answered)."""
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        blocked = change.new_chat_member.status == BLOCKED
        was_blocked = change.old_chat_member.status == BLOCKED
        if blocked != was_blocked:
            address = Address(NAME, str(change.chat.id))
            await (self.backend.opt_out(address) if blocked else self.backend.opt_in(address))
            log.info("telegram.membership", extra=fields(blocked=blocked))

    async def poll(self) -> None:
        """Fetch updates until cancelled; the offset moves past an update once it is stored."""
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                )
                for update in updates:
                    await self.accept(update)
                    offset = update.update_id + 1
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
            except Exception:  # Telegram or the database unreachable: try again shortly
                log.exception("telegram.poll_failed")
                await asyncio.sleep(POLL_PAUSE)


UPDATES = web.AppKey("telegram_updates", TelegramUpdates)


@contextlib.asynccontextmanager
async def running(
    app: web.Application, settings: Settings, backend: Backend
) -> AsyncIterator[TelegramSender]:
    """Start the bot (getMe), then register the webhook or start polling."""
    builder = Application.builder().token(settings.telegram_bot_token or "").updater(None)
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    application = builder.build()
    async with application:
        bot = application.bot
        secret = settings.telegram_webhook_secret if webhook_mode(settings) else None
        moves = ChatMoves(backend, settings)
        await moves.load()
        updates = TelegramUpdates(backend, bot, secret, moves)
        app[UPDATES] = updates
        if settings.worker > 0:  # one of several processes: worker 0 registers or polls
            yield TelegramSender(bot, moves)
            return
        if webhook_mode(settings):
            await bot.set_webhook(
                f"{settings.public_base_url}{WEBHOOK_PATH}",
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("telegram.webhook", extra=fields(bot=bot.username))
            yield TelegramSender(bot, moves)
            return
        await bot.delete_webhook()  # getUpdates is refused while a webhook is set
        log.info("telegram.polling", extra=fields(bot=bot.username))
        poller = asyncio.create_task(updates.poll())
        try:
            yield TelegramSender(bot, moves)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller


async def webhook(request: web.Request) -> web.Response:
    """An update pushed by Telegram: checked, stored, then 200 (Telegram retries otherwise)."""
    updates = request.app.get(UPDATES)
    given = request.headers.get(SECRET_HEADER, "")
    if (
        updates is None
        or not updates.secret
        or not hmac.compare_digest(given.encode(errors="surrogateescape"), updates.secret.encode())
    ):
        log.warning("telegram.bad_secret")
        raise web.HTTPForbidden(text="wrong secret token\n")
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="Telegram sends application/json\n")
    try:
        data = await request.json()
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("no update_id")
        update = Update.de_json(data, updates.bot)
    except (ValueError, KeyError, TypeError, AttributeError):  # PTB trusts the JSON's shape
        raise web.HTTPBadRequest(text="not a Telegram update\n") from None
    await updates.accept(update)
    return web.Response()


def inbound_from_update(update: Update, now: datetime) -> InboundMessage | None:
    """The resident's message in an update; None for what we ignore (edits, groups, stickers)."""
    if update.callback_query:
        query = update.callback_query
        message = query.message
        if message is not None and message.chat.type != ChatType.PRIVATE:
            return None  # buttons in the mediators' group are not a resident's
        chat_id = message.chat.id if message else query.from_user.id
        address = Address(NAME, str(chat_id))
        language = _language(query.from_user.language_code)
        label = _button_label(update) or query.data or ""
        return InboundMessage(
            address, label, str(update.update_id), now, choice=query.data, language=language
        )
    message = update.message  # edited messages, channel posts and the rest are not answered
    if message is None or message.chat.type != ChatType.PRIVATE:
        return None
    address = Address(NAME, str(message.chat.id))
    language = _language(message.from_user.language_code if message.from_user else None)
    platform_id = str(update.update_id)
    if message.location and on_earth(message.location.latitude, message.location.longitude):
        where = Location(message.location.latitude, message.location.longitude)
        return InboundMessage(address, "", platform_id, now, location=where, language=language)
    text = message.text or message.caption
    media, refs = attachment(message)
    if not isinstance(text, str | None):  # a forged update's number: PTB keeps any JSON
        return None
    if text is None and not media:
        return None  # a poll, a dice, a service message: nothing to read
    if text and text.split(maxsplit=1)[:1] == ["/start"]:  # spaces only have no first word
        return InboundMessage(address, "", platform_id, now, choice=START, language=language)
    return InboundMessage(
        address, text or "", platform_id, now, language=language, media=media, media_refs=refs
    )


def is_from_group(update: Update, chat_id: int | None) -> bool:
    """Whether an update is a message of the mediators' group."""
    return chat_id is not None and update.message is not None and update.message.chat.id == chat_id


def from_update(update: Any) -> GroupMessage:
    """The group message of an update (see `is_from_group`)."""
    message = update.message
    sender, replied = message.from_user, message.reply_to_message
    if replied is not None and is_topic_root(message, replied):
        replied = None  # a message typed in a forum topic "replies" to the topic's first post
    # An admin writing anonymously appears as GroupAnonymousBot, "from" the group itself.
    anonymous = message.sender_chat is not None and message.sender_chat.id == message.chat.id
    if anonymous:
        name = message.author_signature or ANONYMOUS_ADMIN
    else:
        name = sender.full_name if sender else "?"
    return GroupMessage(
        chat_id=message.chat.id,
        message_id=str(message.message_id),
        text=message.text or "",
        sender=name,
        username=None if anonymous or not sender else sender.username,
        reply_to=str(replied.message_id) if replied else None,
        from_bot=bool(sender and sender.is_bot and not anonymous),
    )


def is_topic_root(message: Any, replied: Any) -> bool:
    """Whether `replied` is only the first post of the forum topic `message` is typed in."""
    return bool(
        message.is_topic_message
        and (replied.forum_topic_created or replied.message_id == message.message_thread_id)
    )


# The attachment kinds of a message, first match wins: an animation is also a document.
ATTACHMENTS = (
    ("voice", "voice"),
    ("video_note", "video"),
    ("audio", "audio"),
    ("animation", "video"),
    ("video", "video"),
    ("photo", "photo"),
    ("sticker", "sticker"),
    ("document", "document"),
    ("contact", "contact"),
)


def attachment(message: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The message's attachment as (kind,) and its file_id (the largest photo); a shared
    contact has no file, and its number is a third party's: it is not kept."""
    for name, kind in ATTACHMENTS:
        found = getattr(message, name, None)
        if found:
            if kind == "photo":
                found = found[-1]  # sizes come smallest first
            return (kind,), (getattr(found, "file_id", "") if kind != "contact" else "",)
    return (), ()


def on_earth(latitude: float, longitude: float) -> bool:
    """A real position (a forged update may carry anything); others are ignored."""
    return -90 <= latitude <= 90 and -180 <= longitude <= 180


def _button_label(update: Update) -> str | None:
    """The text of the pressed button, so transcripts read as the resident saw them."""
    query = update.callback_query
    if query is None:
        return None
    markup = getattr(query.message, "reply_markup", None)
    buttons = (b for row in getattr(markup, "inline_keyboard", ()) for b in row)
    return next((b.text for b in buttons if b.callback_data == query.data), None)


def _language(code: str | None) -> str | None:
    return code.split("-")[0].lower()[:5] if code else None  # stored in 5 characters


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait."""
    with warnings.catch_warnings():  # PTB 22 warns while retry_after moves from int to timedelta
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends replies: HTML-escaped text, buttons for choices, a pin for a venue."""

    channel = NAME
    pace = Pace(per_address=1.0, overall=1 / 30)  # Telegram's limits for bots

    def __init__(self, bot: Bot, moves: ChatMoves | None = None) -> None:
        self.bot = bot
        self.moves = moves

    async def send(self, address: Address, payload: dict[str, Any]) -> str | None:
        """Send the reply's message (and its venue); returns the message id. A group that
        became a supergroup is remembered, and the message sent there at once."""
        reply = reply_from_dict(payload)
        chat_id = int(address.value)
        if self.moves is not None:
            chat_id = self.moves.current(chat_id)
        try:
            try:
                message = await self._message(chat_id, reply)
            except ChatMigrated as moved:
                if self.moves is not None:
                    await self.moves.record(chat_id, moved.new_chat_id)
                chat_id = moved.new_chat_id
                message = await self._message(chat_id, reply)
        except TelegramError as error:
            raise delivery_error(error) from error
        if reply.venue:
            await self._send_venue(chat_id, reply)
        return str(message.message_id)

    async def _message(self, chat_id: int, reply: Reply) -> Message:
        text, markup = message_parts(reply)
        return await self.bot.send_message(
            chat_id, html.escape(text, quote=False), parse_mode=ParseMode.HTML, reply_markup=markup
        )

    async def _send_venue(self, chat_id: int, reply: Reply) -> None:
        # The text already went out and names the place: a lost pin is not worth a resend.
        venue = reply.venue
        if venue is None:
            return
        try:
            await self.bot.send_venue(
                chat_id, venue.latitude, venue.longitude, venue.name, venue.address
            )
        except TelegramError as error:
            log.warning("telegram.venue_failed", extra=fields(error=str(error)))


def message_parts(
    reply: Reply,
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup | None]:
    """The text and keyboard of a reply. A message has one keyboard: when it asks for the
    location, that button wins and the choices are numbered in the text, as in an SMS."""
    if reply.location_button:
        button = KeyboardButton(reply.location_button, request_location=True)
        keyboard = ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
        return render_plain(reply), keyboard
    if reply.choices:
        rows = [[InlineKeyboardButton(c.label, callback_data=c.value)] for c in reply.choices]
        return reply.text, InlineKeyboardMarkup(rows)
    return reply.text, None


def delivery_error(error: TelegramError) -> DeliveryError:
    """What the outbox should do about a refused message."""
    reason = f"telegram {type(error).__name__}: {error.message}"
    if isinstance(error, RetryAfter):
        return DeliveryError(reason, retry_after=retry_seconds(error))
    if isinstance(error, Forbidden):  # blocked by the user, or the account was deleted
        return DeliveryError(reason, opted_out=True)
    if isinstance(error, BadRequest | ChatMigrated):  # chat not found, message refused
        return DeliveryError(reason, permanent=True)
    return DeliveryError(reason)  # network errors, Telegram's 5xx: try again later
