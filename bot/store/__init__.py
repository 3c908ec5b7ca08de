"""The store room: everything kept in the database. The database's lifetime (db: engine,
sessions, migrations, the CLI's one session), the tables (models), the queries
(repository; the outbox rows; erasure; the login lockout; failed turns in poison) and
the Alembic migrations.

May import: bot.messages, bot.config, bot.crypto, bot.rendering (a reply's parts) and
SQLAlchemy. Nothing above it: every other room reads and writes through here.
"""
