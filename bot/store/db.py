"""Owns the database lifetime: engine, sessions, migrations, health."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from bot.config import Settings
from bot.crypto import AddressCipher, cipher_for

T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"


class Database:
    """One engine and session factory per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, **_engine_options(url))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        return self.sessions()

    async def upgrade(self) -> None:
        """Apply every pending Alembic migration."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_upgrade)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()


def _engine_options(url: str) -> dict[str, Any]:  # create_async_engine keyword arguments
    if url.startswith("sqlite"):
        # SQLite has one writer: one connection queues sessions in the pool rather than
        # letting several connections spin on the file lock.
        return {"connect_args": {"timeout": 30}, "pool_size": 1, "max_overflow": 0}
    # No pre-ping (a round trip per checkout): a connection dead after a database restart
    # fails once, SQLAlchemy then drops every pooled connection, and that request gets 503
    # (bot.outage), the turn is swept again (bot.gateway.upkeep), the outbox retries its write.
    return {"pool_size": 20, "max_overflow": 20, "pool_recycle": 1800}


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Cascading deletes (erasure) need foreign keys on; WAL lets readers run beside the writer;
    # in WAL, synchronous=NORMAL survives a crash of the process (not of the machine) and
    # saves an fsync per commit.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _run_upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":  # gateways starting together migrate in turn
        connection.execute(text("SELECT pg_advisory_xact_lock(7205516)"))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def in_session(
    settings: Settings, work: Callable[[AsyncSession, AddressCipher], Awaitable[T]]
) -> T:
    """The one way a command-line tool opens the database: migrate it, run `work` in one
    committed session, close it."""
    cipher = cipher_for(settings)

    async def run() -> T:
        database = Database(settings.database_url)
        try:
            await database.upgrade()
            async with database.session() as session:
                result = await work(session, cipher)
                await session.commit()
                return result
        finally:
            await database.close()

    return asyncio.run(run())
