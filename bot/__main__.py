"""`aiguillage` command line: serve, chat, db, content, understand, eval."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot import __version__

if TYPE_CHECKING:
    from bot.config import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiguillage", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve", help="run the gateway (HTTP server, channels, outbox)"
    ).set_defaults(func=serve)
    chat_parser = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat_parser.add_argument("--user", default=getpass.getuser(), help="who you are (default: you)")
    chat_parser.add_argument(
        "--mediator", default="Médiatrice", help="the name `/mediateur TEXT` answers with"
    )
    chat_parser.set_defaults(func=chat)
    db = commands.add_parser("db", help="database maintenance").add_subparsers(
        dest="db", required=True
    )
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(func=db_upgrade)
    _add_optional_commands(commands)
    return parser


def _add_optional_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.content.cli import add_content_commands
    from bot.conversations.cli import add_conversation_commands
    from bot.mediation.cli import add_mediator_commands
    from bot.privacy.cli import add_privacy_commands
    from bot.understanding.cli import add_understanding_commands

    add_content_commands(commands)
    add_understanding_commands(commands)
    add_conversation_commands(commands)
    add_mediator_commands(commands)
    add_privacy_commands(commands)


def serve(args: argparse.Namespace) -> int:
    from bot.gateway.workers import serve as run

    settings = _settings()
    print(
        f"aiguillage {__version__} on http://127.0.0.1:{settings.port}/healthz — "
        "to talk to the bot from a terminal: .venv/bin/aiguillage chat",
        flush=True,
    )
    return run(settings)


def chat(args: argparse.Namespace) -> int:
    from bot.gateway.console import chat as run_chat

    print(
        "Écrivez comme un habitant (Ctrl-D pour quitter). Essayez « bonjour ».\n"
        "« /mediateur TEXTE » répond comme un médiateur (/mediateur /prendre, /mediateur /clore).",
        flush=True,
    )
    asyncio.run(run_chat(_settings(quiet=True), args.user, mediator=args.mediator))
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    from bot.store.db import Database

    async def upgrade() -> None:
        database = Database(_settings().database_url)
        try:
            await database.upgrade()
        finally:
            await database.close()

    asyncio.run(upgrade())
    print("database is up to date")
    return 0


def _settings(quiet: bool = False) -> Settings:  # imported lazily for a fast --help
    """Read the settings and set up logging (only warnings for interactive commands)."""
    from bot.config import load_settings
    from bot.logs import setup_logging

    settings = load_settings()
    setup_logging("WARNING" if quiet else settings.log_level)
    return settings


def main(argv: list[str] | None = None) -> int:
    """Run a command; configuration and content errors print one line each, no traceback."""
    from bot.config import SettingsError
    from bot.content.model import ContentError

    args = build_parser().parse_args(argv)
    try:
        command: Callable[[argparse.Namespace], int] = args.func
        return command(args)
    except SettingsError as error:
        print(f"aiguillage: configuration error: {error}", file=sys.stderr)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print("aiguillage: the content base has errors; fix them and start again", file=sys.stderr)
    except (OSError, ConnectionError) as error:
        print(f"aiguillage: cannot start: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
