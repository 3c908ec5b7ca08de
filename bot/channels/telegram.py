"""The Telegram channel as the registry sees it: its settings and addresses.

Webhook mode (PUBLIC_BASE_URL is https): the gateway registers its own URL with a secret
token and stores each update before answering Telegram's POST. Polling mode (local use):
a loop on getUpdates that confirms an update (next offset) only once it is stored. The
workings are in `bot.channels.telegram_bot`, imported by `mount` and `running`: only a
gateway with the channel on loads python-telegram-bot (about 18 MB).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from aiohttp import web

from bot.backend import Backend
from bot.config import Settings
from bot.delivery import Sender

NAME = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def disabled_reason(settings: Settings) -> str | None:
    """Why Telegram cannot run with these settings, or None."""
    if not settings.telegram_bot_token:
        return "TELEGRAM_BOT_TOKEN not set"
    if webhook_mode(settings) and not settings.telegram_webhook_secret:
        return "TELEGRAM_WEBHOOK_SECRET not set (the webhook needs it: PUBLIC_BASE_URL is https)"
    return None


def mask(value: str) -> str:
    """The end of a chat id, enough to tell residents apart."""
    return f"{NAME} •••{value[-2:]}"


def parse(text: str) -> str | None:
    """A chat id alone looks like a phone number: Telegram's are written `telegram:123`."""
    return None


def webhook_mode(settings: Settings) -> bool:
    """Telegram only calls https webhooks; anything else polls."""
    return (settings.public_base_url or "").startswith("https://")


def mount(app: web.Application) -> None:
    """Add the webhook route."""
    from bot.channels import telegram_bot

    telegram_bot.mount(app)


def running(
    app: web.Application, settings: Settings, backend: Backend
) -> AbstractAsyncContextManager[Sender]:
    """Start the bot, then register the webhook or start polling (`telegram_bot.running`)."""
    from bot.channels import telegram_bot

    return telegram_bot.running(app, settings, backend)
