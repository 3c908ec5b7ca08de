from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.crypto import AddressCipher
from tests.databases import BACKENDS, migrated_database

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(params=BACKENDS)
async def database(request, tmp_path):
    """The same tests run on SQLite and on the machine's real PostgreSQL."""
    async with migrated_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture
def cipher() -> AddressCipher:
    return AddressCipher(SECRET)


@pytest.fixture
async def sqlite_database(tmp_path):
    async with migrated_database("sqlite", tmp_path) as db:
        yield db


@pytest.fixture
async def bot(sqlite_database):
    """A conversation bot on the real engine, shipped content and a SQLite database."""
    from tests.harness import ConversationBot

    return ConversationBot(sqlite_database)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped content base, to change in a test."""
    target = tmp_path / "content"
    shutil.copytree(Path(__file__).resolve().parent.parent / "content", target)
    return target
