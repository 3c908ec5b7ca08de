"""Owns the database lifetime: engine, sessions, migrations, health."""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, inspect, text
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
MIGRATING = 7205516  # PostgreSQL advisory lock: gateways starting together migrate in turn


def head_revision(versions: Path = MIGRATIONS / "versions") -> str:
    """The last migration's revision id, read from the files: the server checks it without
    importing alembic (about 10 MB kept for the life of a process)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for name, value in re.findall(r'^(revision|down_revision) = "(\w+)"', source, re.M):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    (head,) = heads
    return head


HEAD = head_revision()


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

    async def revision(self) -> str | None:
        """The database's migration revision; None when it was never migrated."""
        async with self.engine.connect() as conn:
            if not await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
                return None
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()

    async def upgrade(self) -> None:
        """Apply every pending Alembic migration; alembic is imported only when one is."""
        if await self.revision() == HEAD:
            return
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
    from alembic import command
    from alembic.config import Config

    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATING})"))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def alone(session: AsyncSession, job: str) -> bool:
    """Whether this session may run `job` (a follow-up, a purge): False while another
    process's session runs it. On PostgreSQL a transaction-level advisory lock, held until
    this session commits, so gateways sharing a database never post a reminder twice; read
    what the job does after this. SQLite is served by one process (WORKERS needs PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    key = zlib.crc32(job.encode())
    found = await session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key})
    return bool(found.scalar())


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
