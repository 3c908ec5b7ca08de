"""`aiguillage mediator add|list|passwd|remove`, `aiguillage stats`,
`aiguillage content suggestions`."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar, cast

from sqlalchemy import CursorResult, delete, func, select

from bot.config import load_settings
from bot.crypto import hash_password
from bot.mediation.stats import figures, rows
from bot.mediation.store import MediationRepository
from bot.store.db import in_session
from bot.store.models import InboxSession, Mediator

T = TypeVar("T")
MIN_PASSWORD = 10


def add_mediator_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `mediator add`, `stats`, and `suggestions` under the `content` command."""
    mediator = subparsers.add_parser("mediator", help="comptes des médiateurs (boîte web)")
    commands = mediator.add_subparsers(dest="mediator_command", required=True)
    add = commands.add_parser("add", help="créer un compte (le mot de passe est demandé)")
    add.add_argument("name", help="nom affiché aux collègues et signé sous les réponses")
    add.add_argument("--topics", default="", help="thèmes couverts, ex. caf,impots")
    add.add_argument("--quartiers", default="", help="quartiers couverts, ex. bellevue,europe")
    add.add_argument("--telegram", default=None, help="pseudo Telegram, pour être mentionné")
    add.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur stdin")
    add.set_defaults(func=run_add)
    commands.add_parser("list", help="les comptes et leurs sessions ouvertes").set_defaults(
        func=run_list
    )
    passwd = commands.add_parser(
        "passwd", help="changer le mot de passe (ferme toutes les sessions du compte)"
    )
    passwd.add_argument("name")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="lire le mot de passe sur stdin"
    )
    passwd.set_defaults(func=run_passwd)
    remove = commands.add_parser("remove", help="supprimer un compte et fermer ses sessions")
    remove.add_argument("name")
    remove.set_defaults(func=run_remove)
    subparsers.add_parser(
        "stats", help="chiffres des tickets, sans donnée personnelle"
    ).set_defaults(func=run_stats)
    content = subparsers.choices.get("content")
    if content is not None:  # the content engineer's `content` command gets one more verb
        verbs = next(a for a in content._actions if isinstance(a, argparse._SubParsersAction))
        verbs.add_parser(
            "suggestions", help="réponses de médiateurs proposées pour le contenu"
        ).set_defaults(func=run_suggestions)


def _with_repo(work: Callable[[MediationRepository], Awaitable[T]]) -> T:
    """Run `work` on a migrated database in one committed session."""
    return in_session(
        load_settings(), lambda session, cipher: work(MediationRepository(session, cipher))
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Mot de passe: ")
    if password != getpass.getpass("Mot de passe (encore): "):
        raise SystemExit("aiguillage: les deux mots de passe diffèrent")
    return password


def run_add(args: argparse.Namespace) -> int:
    """Create a mediator account with an argon2-hashed password."""
    password = _read_password(args.password_stdin)
    if len(password) < MIN_PASSWORD:
        print(f"aiguillage: mot de passe trop court ({MIN_PASSWORD} caractères au moins)")
        return 1

    async def add(repo: MediationRepository) -> bool:
        if await repo.mediator_named(args.name):
            return False
        mediator = await repo.add_mediator(args.name, hash_password(password), datetime.now(UTC))
        mediator.topics = [w.strip() for w in args.topics.split(",") if w.strip()]
        mediator.quartiers = [w.strip() for w in args.quartiers.split(",") if w.strip()]
        mediator.telegram_username = (args.telegram or "").lstrip("@") or None
        return True

    if not _with_repo(add):
        print(f"aiguillage: le compte {args.name!r} existe déjà")
        return 1
    print(f"compte créé: {args.name} (connexion sur /inbox/login)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the accounts: name, Telegram handle, topics, neighbourhoods, open sessions."""

    async def listing(repo: MediationRepository) -> list[str]:
        now = datetime.now(UTC)
        sessions = dict(
            (
                await repo.session.execute(
                    select(InboxSession.mediator_id, func.count())
                    .where(InboxSession.expires_at > now)
                    .group_by(InboxSession.mediator_id)
                )
            ).all()
        )
        return [
            f"{m.name}\t@{m.telegram_username or '-'}\tthèmes: {','.join(m.topics) or '-'}"
            f"\tquartiers: {','.join(m.quartiers) or '-'}\tsessions: {sessions.get(m.id, 0)}"
            for m in await repo.mediators()
        ]

    lines = _with_repo(listing)
    print("\n".join(lines) if lines else "aucun compte")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    """Set a new password; every session of the account ends (stolen cookies too)."""
    password = _read_password(args.password_stdin)
    if len(password) < MIN_PASSWORD:
        print(f"aiguillage: mot de passe trop court ({MIN_PASSWORD} caractères au moins)")
        return 1

    async def change(repo: MediationRepository) -> int | None:
        mediator = await repo.mediator_named(args.name)
        if mediator is None:
            return None
        mediator.password_hash = hash_password(password)
        return await _end_sessions(repo, mediator.id)

    ended = _with_repo(change)
    if ended is None:
        print(f"aiguillage: pas de compte {args.name!r}")
        return 1
    print(f"mot de passe changé pour {args.name}; {ended} session(s) fermée(s)")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Delete an account and end its sessions; its tickets and answers stay."""

    async def remove(repo: MediationRepository) -> int | None:
        mediator = await repo.mediator_named(args.name)
        if mediator is None:
            return None
        ended = await _end_sessions(repo, mediator.id)
        await repo.session.execute(delete(Mediator).where(Mediator.id == mediator.id))
        return ended

    ended = _with_repo(remove)
    if ended is None:
        print(f"aiguillage: pas de compte {args.name!r}")
        return 1
    print(f"compte supprimé: {args.name}; {ended} session(s) fermée(s)")
    return 0


async def _end_sessions(repo: MediationRepository, mediator_id: int) -> int:
    result = await repo.session.execute(
        delete(InboxSession).where(InboxSession.mediator_id == mediator_id)
    )
    return cast("CursorResult[()]", result).rowcount or 0  # a DELETE answers a CursorResult


def run_stats(args: argparse.Namespace) -> int:
    """Print the anonymous figures of the hand-off."""
    for label, value in _with_repo(lambda repo: _rows(repo)):
        print(f"{label}: {value}")
    return 0


async def _rows(repo: MediationRepository) -> list[tuple[str, str]]:
    return rows(await figures(repo))


def run_suggestions(args: argparse.Namespace) -> int:
    """Print answers marked for the content base, each under the question that caused it."""
    found = _with_repo(lambda repo: repo.suggestions())
    for s in found:
        print(
            f"--- #{s.id} · {s.topic or 'sans thème'} · {s.suggested_by} · {s.created_at:%Y-%m-%d}"
        )
        print("Question:", s.question.replace("\n", " / "))
        print("Réponse: ", s.answer)
    print(f"{len(found)} suggestion(s)")
    return 0
