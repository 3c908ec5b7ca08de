"""Structured logs: one JSON line per event, never a phone number or a message text."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Kept at WARNING even in DEBUG: their debug lines quote SQL parameters, updates and
    # request bodies, which hold numbers and messages.
    noisy = (
        "aiohttp.access", "aiosqlite", "alembic", "asyncpg", "httpx", "sqlalchemy", "telegram",
        "twilio",
    )  # fmt: skip
    for name in noisy:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def fields(**values: object) -> dict[str, dict[str, object]]:
    """`extra=` for a log call: `log.info("turn.done", extra=fields(intent=...))`."""
    return {"fields": values}
