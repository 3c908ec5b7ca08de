"""No phone number or Telegram id in clear: not in the database files, rows, pages or logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import String, Text, cast, select

from bot.logs import JsonFormatter
from bot.store.db import Database
from bot.store.models import Base, OutboxItem
from tests.databases import postgres_database
from tests.privacy.conversations import SECRETS, clear_forms, whole_conversations


def assert_no_address(text: str, where: str) -> None:
    for secret in SECRETS:
        for form in clear_forms(secret):
            assert form not in text, f"{form} in clear in {where}"


async def all_text(database_url: str) -> str:
    """Every column of every table, as text, one row after another."""
    database = Database(database_url)
    lines = []
    try:
        async with database.session() as session:
            for table in Base.metadata.sorted_tables:
                query = select(
                    *(cast(c, String) if not isinstance(c.type, Text) else c for c in table.columns)
                )
                for row in await session.execute(query):
                    lines.append(f"{table.name}: {row}")
    finally:
        await database.close()
    return "\n".join(lines)


async def check_rows(database_url: str) -> None:
    rows = await all_text(database_url)
    assert "Nouveau ticket" in rows and "passez mardi" in rows  # group posts, answers stored
    assert "21211" in rows and "•••" in rows  # Twilio's error, number redacted
    assert_no_address(rows, "database rows")


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    yield lambda: "\n".join(
        JsonFormatter().format(r) for r in caplog.records if r.name.startswith("aiguillage")
    )


async def test_sqlite_file_pages_and_logs_hold_no_address_in_clear(tmp_path, logs):
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    pages = await whole_conversations(url, tmp_path)
    for page in pages:
        assert "+33 6 •• •• •• 42" in page or "telegram •••21" in page
        assert_no_address(page, "an inbox page")
    files = [p for p in tmp_path.iterdir() if p.name.startswith("gateway.db")]
    raw = b"".join(p.read_bytes() for p in files).decode("latin-1")
    assert "passez mardi" in raw
    assert_no_address(raw, "the SQLite file")
    await check_rows(url)
    assert "outbox.failed" in logs()
    assert_no_address(logs(), "the logs")


async def test_postgresql_rows_hold_no_address_in_clear(tmp_path, logs):
    async with postgres_database() as url:
        await whole_conversations(url, tmp_path)
        await check_rows(url)
    assert_no_address(logs(), "the logs")


def test_every_table_is_scanned():
    assert OutboxItem.__table__ in Base.metadata.sorted_tables
    assert {"group_posts", "faq_suggestions", "mediators"} <= set(Base.metadata.tables)
