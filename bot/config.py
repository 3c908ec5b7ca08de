"""Settings, read once from the environment (and `.env`) and passed down explicitly."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload
from urllib.parse import urlparse

from dotenv import dotenv_values

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./aiguillage.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class SettingsError(Exception):
    """A missing or malformed variable; the message names it and says what is wrong."""


@dataclass(frozen=True)
class Settings:
    secret_key: str
    database_url: str = DEFAULT_DATABASE_URL
    content_dir: Path = Path("content")
    host: str = "127.0.0.1"  # docker-compose sets 0.0.0.0 inside its container
    port: int = 8080
    public_base_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_whatsapp_from: str | None = None  # `whatsapp:+…`, the WhatsApp sender
    twilio_api_base_url: str | None = None
    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = None
    telegram_webhook_secret: str | None = None
    mediators_chat_id: int | None = None
    admin_token: str | None = None
    metrics_token: str | None = None
    secret_key_previous: str | None = None
    retention_days: int = 180
    outbox_lease_seconds: int = 120
    ticket_reminder_minutes: int = 120
    ticket_idle_days: int = 7
    log_level: str = "INFO"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    header_timeout: float = 10.0  # seconds to send a request's head (and idle keep-alive)
    body_timeout: float = 10.0  # seconds to send a request's body
    max_connections: int = 500
    sms_daily_limit: int | None = None  # replies by SMS a day; None: no cap
    spool_dir: Path | None = None  # None: no spool (tests); `serve` reads SPOOL_DIR=./spool
    workers: int = 1  # server processes sharing the port (`aiguillage serve`)
    worker: int = 0  # which of them this process is (given by `serve`, not read)

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(
            self.twilio_account_sid and self.twilio_auth_token and self.twilio_whatsapp_from
        )

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Merge `.env` (if present) under the environment and validate every value."""
    found: dict[str, str | None] = (
        dict(dotenv_values(env_file)) if env_file and env_file.is_file() else {}
    )
    found.update(os.environ if environ is None else environ)
    env = {k: v for k, v in found.items() if v}  # unset and empty are the same
    return Settings(
        secret_key=_secret_key(env, "SECRET_KEY", required=True),
        secret_key_previous=_secret_key(env, "SECRET_KEY_PREVIOUS", required=False),
        database_url=_database_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
        content_dir=_directory(env, "CONTENT_DIR", "content"),
        host=env.get("HOST", "127.0.0.1"),
        port=_integer(env, "PORT", 8080, 1, 65535),
        public_base_url=_url(env, "PUBLIC_BASE_URL"),
        twilio_account_sid=_matching(env, "TWILIO_ACCOUNT_SID", "AC", 34),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN"),
        twilio_from_number=_phone(env, "TWILIO_FROM_NUMBER"),
        twilio_whatsapp_from=_whatsapp_sender(env, "TWILIO_WHATSAPP_FROM"),
        twilio_api_base_url=_url(env, "TWILIO_API_BASE_URL"),
        telegram_bot_token=_telegram_token(env),
        telegram_api_base_url=_url(env, "TELEGRAM_API_BASE_URL"),
        telegram_webhook_secret=_webhook_secret(env),
        mediators_chat_id=_chat_id(env),
        admin_token=env.get("ADMIN_TOKEN"),
        metrics_token=env.get("METRICS_TOKEN"),
        retention_days=_integer(env, "RETENTION_DAYS", 180, 1, 3650),
        outbox_lease_seconds=_integer(env, "OUTBOX_LEASE_SECONDS", 120, 5, 3600),
        ticket_reminder_minutes=_integer(env, "TICKET_REMINDER_MINUTES", 120, 1, 10080),
        ticket_idle_days=_integer(env, "TICKET_IDLE_DAYS", 7, 1, 365),
        log_level=_choice(env, "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        trusted_proxies=_networks(env, "TRUSTED_PROXIES", "127.0.0.1/32,::1/128"),
        header_timeout=_integer(env, "HEADER_TIMEOUT", 10, 1, 300),
        body_timeout=_integer(env, "BODY_TIMEOUT", 10, 1, 300),
        max_connections=_integer(env, "MAX_CONNECTIONS", 500, 10, 100_000),
        sms_daily_limit=_integer(env, "SMS_DAILY_LIMIT", 0, 0, 10_000_000) or None,
        spool_dir=Path(env.get("SPOOL_DIR", "spool")),
        workers=_workers(env),
    )


@overload
def _secret_key(env: Mapping[str, str], name: str, required: Literal[True]) -> str: ...
@overload
def _secret_key(env: Mapping[str, str], name: str, required: Literal[False]) -> str | None: ...
def _secret_key(env: Mapping[str, str], name: str, required: bool) -> str | None:
    value = env.get(name)
    if value is None:
        if required:
            raise SettingsError(
                f"{name} is not set: give a random string of at least 32 characters "
                "(`make run` writes one into .env)"
            )
        return None
    if len(value) < 32:
        raise SettingsError(f"{name} is too short ({len(value)} characters, at least 32 needed)")
    return value


def _database_url(value: str) -> str:
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in SUPPORTED_DRIVERS:
        raise SettingsError(
            f"DATABASE_URL={value!r} is not supported: use sqlite+aiosqlite:///path.db "
            "or postgresql+asyncpg://user@host:port/db"
        )
    if scheme.startswith("postgresql") and not urlparse(value).hostname:
        raise SettingsError(f"DATABASE_URL={value!r} has no host")
    return value


def _directory(env: Mapping[str, str], name: str, default: str) -> Path:
    path = Path(env.get(name, default))
    if not path.is_dir():
        raise SettingsError(f"{name}={str(path)!r} is not a directory")
    return path


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is out of range ({low}-{high})")
    return value


def _workers(env: Mapping[str, str]) -> int:
    workers = _integer(env, "WORKERS", 1, 1, 64)
    if workers > 1 and not env.get("DATABASE_URL", "").startswith("postgresql"):
        raise SettingsError(
            f"WORKERS={workers} needs PostgreSQL: SQLite has one writer, run one process on it"
        )
    return workers


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name}={raw!r} is not an http(s) URL")
    return raw.rstrip("/")


def _matching(env: Mapping[str, str], name: str, prefix: str, length: int) -> str | None:
    raw = env.get(name)
    if raw is not None and (not raw.startswith(prefix) or len(raw) != length):
        raise SettingsError(f"{name} must start with {prefix!r} and be {length} characters long")
    return raw


def _phone(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is not None and not (raw.startswith("+") and raw[1:].isdigit() and len(raw) >= 8):
        raise SettingsError(f"{name}={raw!r} is not an E.164 number such as +33757000000")
    return raw


def _whatsapp_sender(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    number = (raw or "").removeprefix("whatsapp:")
    if raw is not None and not (
        raw.startswith("whatsapp:+") and number[1:].isdigit() and len(number) >= 8
    ):
        raise SettingsError(
            f"{name}={raw!r} is not a WhatsApp sender such as whatsapp:+14155238886 "
            "(the prefix whatsapp: then an E.164 number)"
        )
    return raw


def _telegram_token(env: Mapping[str, str]) -> str | None:
    raw = env.get("TELEGRAM_BOT_TOKEN")
    if raw is not None and (":" not in raw or not raw.split(":", 1)[0].isdigit()):
        raise SettingsError("TELEGRAM_BOT_TOKEN does not look like 123456:ABC... (from @BotFather)")
    return raw


def _webhook_secret(env: Mapping[str, str]) -> str | None:
    raw = env.get("TELEGRAM_WEBHOOK_SECRET")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    if raw is not None and not (1 <= len(raw) <= 256 and set(raw) <= allowed):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters A-Z a-z 0-9 _ -")
    return raw


def _chat_id(env: Mapping[str, str]) -> int | None:
    raw = env.get("MEDIATORS_CHAT_ID")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(
            f"MEDIATORS_CHAT_ID={raw!r} is not a Telegram chat id (e.g. -1001234567890)"
        ) from None


def _networks(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    """A comma-separated list of addresses or CIDR networks, e.g. 172.16.0.0/12,::1."""
    networks = []
    for part in filter(None, (p.strip() for p in env.get(name, default).split(","))):
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise SettingsError(
                f"{name}: {part!r} is not an address or a network such as 172.16.0.0/12"
            ) from None
    return tuple(networks)


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, default).upper()
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} must be one of {', '.join(allowed)}")
    return value
