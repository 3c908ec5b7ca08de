"""`aiguillage content curator add|remove|list NAME`: who may edit content/ from the inbox."""

from __future__ import annotations

import argparse

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession


def add_curator_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `content curator add|remove|list` on the `content` command's verbs."""
    curator = commands.add_parser("curator", help="curateurs du contenu (page /inbox/contenu)")
    verbs = curator.add_subparsers(dest="curator_command", required=True)
    for verb, text in (("add", "donner le rôle à un médiateur"), ("remove", "retirer le rôle")):
        parser = verbs.add_parser(verb, help=text)
        parser.add_argument("name", help="nom du compte médiateur")
        parser.set_defaults(func=run_curator)
    verbs.add_parser("list", help="les curateurs").set_defaults(func=run_curator, name="")


def run_curator(args: argparse.Namespace) -> int:
    """Add, remove or list curators in the configured database."""
    from bot.config import load_settings
    from bot.store.db import in_session

    return in_session(
        load_settings(),
        lambda session, _: change_curators(session, args.curator_command, args.name),
    )


async def change_curators(session: AsyncSession, verb: str, name: str) -> int:
    """Do `verb` (add | remove | list) for the mediator `name`; prints what it did."""
    from bot.store.models import Curator, Mediator

    if verb == "list":
        query = select(Mediator.name).join(Curator, Curator.mediator_id == Mediator.id)
        for (found,) in await session.execute(query.order_by(Mediator.name)):
            print(found)
        return 0
    mediator = (await session.execute(select(Mediator).where(Mediator.name == name))).scalar()
    if mediator is None:
        print(f"aucun médiateur nommé {name!r} (aiguillage mediator add {name})")
        return 1
    await session.execute(delete(Curator).where(Curator.mediator_id == mediator.id))
    if verb == "add":
        session.add(Curator(mediator_id=mediator.id))
    print(f"{name}: {'curateur' if verb == 'add' else 'plus curateur'}")
    return 0
