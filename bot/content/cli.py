"""`aiguillage content check|import`: the command line of the content base."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.content.addresses import import_addresses
from bot.content.curators import add_curator_commands
from bot.content.formats import FORMATS
from bot.content.importer import import_places
from bot.content.kinds import counts_by_kind_and_quartier
from bot.content.loader import check_content
from bot.content.stops import is_stop
from bot.content.sync import apply_changes, compute_diff, describe, read_diff, write_diff

DEFAULT_DIR = Path("content")


def add_content_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `content check [DIR]` and `content import FILE` on the main parser."""
    content = subparsers.add_parser("content", help="vérifier ou importer le contenu")
    commands = content.add_subparsers(dest="content_command", required=True)
    check = commands.add_parser("check", help="valider tous les fichiers de content/")
    check.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    check.set_defaults(func=run_check)
    stats = commands.add_parser("stats", help="nombre de lieux par type et par quartier")
    stats.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    stats.set_defaults(func=run_stats)
    imp = commands.add_parser("import", help="importer un export du schéma national dans lieux.csv")
    imp.add_argument("file", type=Path, help="CSV (schéma v1 ou v0.1) ou JSON (schéma v1)")
    imp.add_argument("--content-dir", type=Path, default=DEFAULT_DIR)
    imp.add_argument("--id-prefix", default="", help="préfixe ajouté aux id (ex. cnfs-)")
    imp.add_argument(
        "--code-postal", action="append", default=[], help="ne garder que ces codes postaux"
    )
    imp.add_argument(
        "--format",
        choices=(*FORMATS, "ban"),
        default="mednum",
        help="mednum (schéma national), data-inclusion, gogocarto, dila, ban (adresses-29.csv)",
    )
    imp.add_argument(
        "--code-insee", action="append", default=[], help="ban: communes gardées (29019)"
    )
    imp.set_defaults(func=run_import)
    sync = commands.add_parser("sync", help="relever les sources de sources.yaml: diff à relire")
    sync.add_argument("--content-dir", type=Path, default=DEFAULT_DIR)
    sync.add_argument("--source", action="append", default=[], help="seulement ces sources")
    sync.add_argument(
        "--out",
        type=Path,
        help="diff à relire (défaut: CONTENT_DIR/sync-diff.json, lu par l'inbox)",
    )
    sync.set_defaults(func=run_sync)
    apply = commands.add_parser("sync-apply", help="appliquer les lignes acceptées d'un diff")
    apply.add_argument("diff", type=Path)
    apply.add_argument("--content-dir", type=Path, default=DEFAULT_DIR)
    apply.add_argument("--accept", action="append", required=True, help="id acceptés, ou all")
    apply.add_argument("--by", required=True, help="qui relit (écrit dans notes)")
    apply.set_defaults(func=run_sync_apply)
    add_curator_commands(commands)


def run_check(args: argparse.Namespace) -> int:
    """Print `file:line: problem` for every problem; 1 if any is an error."""
    content, problems = check_content(args.directory)
    for problem in problems:
        print(f"{args.directory / problem.path}{str(problem)[len(problem.path) :]}")
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if content is None:
        print(f"{errors} erreur(s), {warnings} avertissement(s): contenu refusé", file=sys.stderr)
        return 1
    stops = sum(is_stop(place) for place in content.places)
    print(
        f"contenu valide: {len(content.places) - stops} lieux (+{stops} arrêts de lieux "
        f"itinérants), {warnings} avertissement(s)"
    )
    return 0


def run_stats(args: argparse.Namespace) -> int:
    """Print the number of places by kind and neighbourhood (stops not counted)."""
    content, _ = check_content(args.directory)
    if content is None:
        print("contenu invalide: lancez content check", file=sys.stderr)
        return 1
    counts = counts_by_kind_and_quartier(p for p in content.places if not is_stop(p))
    for (kind, quartier), count in sorted(counts.items()):
        print(f"{kind}\t{quartier}\t{count}")
    print(f"total\t\t{sum(counts.values())}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Merge a national export into lieux.csv and print what was added, updated, rejected."""
    codes = {code for value in args.code_postal for code in value.split(",") if code}
    if args.format == "ban":
        return run_import_addresses(args)
    report = import_places(args.file, args.content_dir, args.id_prefix, codes, args.format)
    for place_id in report.added:
        print(f"ajouté: {place_id}")
    for place_id in report.updated:
        print(f"mis à jour: {place_id}")
    for where, reason in report.rejected:
        print(f"rejeté: {where}: {reason}")
    for where, reason in report.warnings:
        print(f"avertissement: {where}: {reason}")
    print(
        f"{len(report.added)} ajouté(s), {len(report.updated)} mis à jour, "
        f"{len(report.unchanged)} inchangé(s), {len(report.rejected)} rejeté(s), "
        f"{report.skipped} hors codes postaux"
    )
    return 0


def run_import_addresses(args: argparse.Namespace) -> int:
    """Keep a BAN CSV's Brest addresses in adresses.csv and place the places without a point."""
    communes = {code for value in args.code_insee for code in value.split(",") if code}
    report = import_addresses(args.file, args.content_dir, communes or {"29019"})
    for place_id in report.placed:
        print(f"placé (BAN): {place_id}")
    for place_id, address in report.not_found:
        print(f"sans point: {place_id}: adresse absente de la BAN: {address!r}")
    print(f"{report.kept} adresse(s) gardée(s), {len(report.placed)} lieu(x) placé(s)")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    """Fetch the sources, print the diff line by line and write it for review; apply nothing."""
    changes = asyncio.run(compute_diff(args.content_dir, args.source))
    for change in changes:
        print(describe(change))
    args.out = args.out or args.content_dir / "sync-diff.json"
    write_diff(changes, args.out)
    counts = {kind: sum(c.kind == kind for c in changes) for kind in ("new", "changed", "vanished")}
    print(
        f"{counts['new']} nouveau(x), {counts['changed']} modifié(s), {counts['vanished']} "
        f"disparu(s): à relire dans {args.out}, puis content sync-apply {args.out} --accept ..."
    )
    return 0


def run_sync_apply(args: argparse.Namespace) -> int:
    """Apply the accepted lines of a diff; on any content error nothing is changed."""
    accepted = {i for value in args.accept for i in value.split(",") if i}
    errors = apply_changes(args.content_dir, read_diff(args.diff), accepted, args.by)
    for error in errors:
        print(error, file=sys.stderr)
    print("refusé: contenu invalide, rien n'a changé" if errors else "appliqué et vérifié")
    return 1 if errors else 0
